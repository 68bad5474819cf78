"""TLS and bearer authentication of the schema-registry client (settings -> httpx arguments).

``SIGNALS_SCHEMA_REGISTRY_CA_LOCATION`` (a PEM bundle the registry's certificate must chain to;
default the system store), ``..._CERTIFICATE_LOCATION`` / ``..._KEY_LOCATION`` /
``..._KEY_PASSWORD`` (mutual TLS) and ``..._BEARER_TOKEN`` (``Authorization: Bearer``). A file
that cannot be loaded, or a wrong key password, is a ConfigurationError naming the setting.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from consumer.errors import ConfigurationError

if TYPE_CHECKING:  # config.load_settings calls registry_verify: no import circle
    from consumer.config import Settings

__all__ = ["registry_headers", "registry_verify"]


def registry_verify(settings: Settings) -> ssl.SSLContext | bool:
    """``True`` (the system store) or an SSL context with the CA bundle and client key pair."""
    s = settings
    cert, key = s.schema_registry_certificate_location, s.schema_registry_key_location
    if s.schema_registry_ca_location is None and cert is None:
        return True
    if (cert is None) != (key is None):
        missing = "KEY" if key is None else "CERTIFICATE"
        setting = f"SIGNALS_SCHEMA_REGISTRY_{missing}_LOCATION"
        raise ConfigurationError(f"{setting} is required for mutual TLS", setting=setting)
    try:
        context = ssl.create_default_context(
            cafile=str(s.schema_registry_ca_location) if s.schema_registry_ca_location else None
        )
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"SIGNALS_SCHEMA_REGISTRY_CA_LOCATION: cannot load {s.schema_registry_ca_location}: "
            f"{exc}",
            setting="SIGNALS_SCHEMA_REGISTRY_CA_LOCATION",
        ) from exc
    if cert is not None and key is not None:
        secret = s.schema_registry_key_password
        try:
            context.load_cert_chain(
                str(cert), str(key), secret.get_secret_value() if secret else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                "SIGNALS_SCHEMA_REGISTRY_CERTIFICATE_LOCATION / _KEY_LOCATION / _KEY_PASSWORD: "
                f"cannot load the client certificate and key: {type(exc).__name__}",
                setting="SIGNALS_SCHEMA_REGISTRY_CERTIFICATE_LOCATION",
            ) from exc
    return context


def registry_headers(settings: Settings) -> dict[str, str]:
    """``Authorization: Bearer <token>`` when a bearer token is set."""
    token = settings.schema_registry_bearer_token
    return {"authorization": f"Bearer {token.get_secret_value()}"} if token else {}
