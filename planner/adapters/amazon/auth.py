"""Login with Amazon for python-amazon-sp-api, configured rather than patched.

The library's AccessTokenClient fetches from class attributes (scheme, host, path) and caches
access tokens in a module-wide TTLCache keyed by the refresh token only: two connections, two
LWA hosts or two test sandboxes would share (and poison) it. Our subclass takes the token URL
from configuration and keeps tokens in a store owned by one gateway, which can also forget a
token Amazon has declared expired.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from sp_api.auth import AccessTokenClient, AccessTokenResponse
from sp_api.auth.exceptions import AuthorizationError

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
# Refresh a little before Amazon's expiry, so a token never dies in flight.
EXPIRY_MARGIN = 60.0


class TokenStore:
    """One connection's access token and when it expires."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._token: dict[str, Any] | None = None
        self._expires = 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self.fetched = 0

    def get(self) -> dict[str, Any] | None:
        with self._lock:
            if self._token is not None and self._clock() < self._expires:
                return self._token
            return None

    def put(self, token: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            lifetime = float(token.get("expires_in") or 3600)
            self._token = token
            self._expires = self._clock() + max(lifetime - EXPIRY_MARGIN, lifetime / 2)
            self.fetched += 1
            return token

    def forget(self) -> None:
        with self._lock:
            self._token = None


def token_client_class(
    token_url: str, store: TokenStore, http: httpx.Client, on_request: Callable[[], None]
) -> type[AccessTokenClient]:
    """An AccessTokenClient subclass bound to one token URL, token store and HTTP client."""
    parts = urlsplit(token_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not a token URL: {token_url!r}")

    class PlannerTokenClient(AccessTokenClient):
        scheme = f"{parts.scheme}://"
        host = parts.netloc
        path = parts.path or "/auth/o2/token"

        def _request(self, url: str, data: dict[str, Any], headers: dict[str, str]) -> Any:
            on_request()
            response = http.post(url, data=data, headers=headers)
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code != 200:
                raise AuthorizationError(
                    body.get("error") or "http_error",
                    body.get("error_description") or f"HTTP {response.status_code}",
                    response.status_code,
                )
            if not body.get("access_token"):
                raise AuthorizationError("invalid_response", "no access_token in the answer", 502)
            return body

        def get_auth(self) -> AccessTokenResponse:
            token = store.get()
            if token is None:
                token = store.put(
                    self._request(self.scheme + self.host + self.path, self.data, self.headers)
                )
            return AccessTokenResponse(**token)

    return PlannerTokenClient
