"""The Amazon connector and the built-in SP-API sandbox."""
