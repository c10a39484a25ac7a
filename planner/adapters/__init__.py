"""Adapters to outside services (Amazon SP-API and its built-in sandbox)."""
