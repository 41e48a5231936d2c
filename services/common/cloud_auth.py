"""Cloud Run service-to-service auth: Google-signed ID tokens as gRPC call credentials.

Internal services on Cloud Run take no public traffic; callers present an identity token
whose audience is the callee's URL. On Cloud Run the token comes from the metadata server.
Used when a peer address is a TLS endpoint (``host:443``) and ``PEER_AUTH=google-id-token``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from base64 import urlsafe_b64decode

import grpc

METADATA_IDENTITY_URL = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity"
    "?audience={audience}&format=full"
)
REFRESH_MARGIN_SECONDS = 300


def _token_expiry(token: str) -> float:
    """The ``exp`` claim of a JWT (no signature check: we only schedule refreshes)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return float(json.loads(urlsafe_b64decode(payload))["exp"])


class GoogleIdTokenPlugin(grpc.AuthMetadataPlugin):
    """Fetches and caches an ID token for one audience; refreshed 5 minutes before expiry."""

    def __init__(self, audience: str, fetch_url: str = METADATA_IDENTITY_URL) -> None:
        self.audience = audience
        self.fetch_url = fetch_url
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if time.time() > self._expires - REFRESH_MARGIN_SECONDS:
                request = urllib.request.Request(
                    self.fetch_url.format(audience=self.audience), headers={"Metadata-Flavor": "Google"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    self._token = response.read().decode()
                self._expires = _token_expiry(self._token)
            return self._token

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        try:
            callback((("authorization", f"Bearer {self.token()}"),), None)
        except Exception as exc:  # surfaced to the caller as UNAVAILABLE by gRPC
            callback((), exc)


def id_token_credentials(address: str) -> grpc.ChannelCredentials:
    """TLS + an ID token whose audience is ``https://<host>`` of ``address``."""
    host = address.rsplit(":", 1)[0]
    call_credentials = grpc.metadata_call_credentials(GoogleIdTokenPlugin(f"https://{host}"))
    return grpc.composite_channel_credentials(grpc.ssl_channel_credentials(), call_credentials)
