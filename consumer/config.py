"""One frozen configuration, read once from the environment (prefix ``SIGNALS_``).

Every setting is an environment variable ``SIGNALS_<FIELD NAME IN UPPER CASE>``; an optional
``.env``-style file can be named with ``SIGNALS_ENV_FILE``. Units are in the names
(``linger_ms``, ``drain_timeout_s``). Secrets are ``SecretStr`` and never printed:
:meth:`Settings.redacted` is what ``signals-consumer config`` shows. librdkafka keys appear only
in :mod:`consumer.kafka_config`, at the edge.

A bad value stops the process with a :class:`~consumer.errors.ConfigurationError` naming the
environment variable (see :func:`load_settings`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from consumer.errors import ConfigurationError
from consumer.settings_sources import SecretFiles, parse_properties

__all__ = ["ENV_PREFIX", "REGION_URLS", "Settings", "Tier", "load_settings", "require"]

ENV_PREFIX = "SIGNALS_"

Tier = Literal["pro", "premium", "ultimate"]

#: Connect GraphQL endpoints by data region (reference section 1).
REGION_URLS: dict[str, str] = {
    "us": "https://connect-gql-us-1.goacoustic.com/",
    "eu": "https://connect-gql-eu-1.goacoustic.com/",
    "ap": "https://connect-gql-ap-3.goacoustic.com/",
}


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _split_pairs(value: Any) -> Any:
    """``topic=appkey,topic2=appkey2`` (or a JSON object) -> dict."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            import json

            return json.loads(text)
        pairs: dict[str, str] = {}
        for item in text.split(","):
            name, sep, val = item.partition("=")
            if not sep or not name.strip() or not val.strip():
                raise ValueError(f"expected name=value pairs separated by commas, got {item!r}")
            pairs[name.strip()] = val.strip()
        return pairs
    return value


#: Property keys whose values ``redacted`` hides (passwords, passphrases, secrets, tokens, keys,
#: configs).
_SECRET_KEY = re.compile(r"password|passphrase|secret|token|credential|jaas|\.pem$|\.config$", re.I)

#: The ``user:password@`` part of a URL (``https://user:pw@registry:8081``).
_URL_USERINFO = re.compile(r"(?<=://)[^/@]+@")

CsvList = Annotated[list[str], NoDecode, BeforeValidator(_split_csv)]
PairMap = Annotated[dict[str, str], NoDecode, BeforeValidator(_split_pairs)]
PropertyMap = Annotated[dict[str, str], NoDecode, BeforeValidator(parse_properties)]


class Settings(BaseSettings):
    """The consumer's whole configuration. Frozen: read once at start."""

    #: An empty variable counts as unset (its default): "empty means never" is documented.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    # --- Kafka -------------------------------------------------------------------------------
    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_group_id: str = "connect-signals-consumer"
    #: Static membership (e.g. the pod name); empty means dynamic membership.
    kafka_group_instance_id: str | None = None
    #: Comma-separated topic names; or use ``topic_pattern``.
    topics: CsvList = Field(default_factory=list)
    #: A regular expression of topics to consume (librdkafka ``^`` subscription).
    topic_pattern: str | None = None
    dlq_topic: str = "signals.dlq"
    #: Partitions of the dead-letter topic when ``signals-consumer run`` has to create it.
    dlq_partitions: int = Field(default=3, ge=1)
    #: Largest dead letter: the DLQ producer's ``message.max.bytes`` and the DLQ topic's
    #: ``max.message.bytes`` when it is created (default: the broker's default). A dead letter
    #: that would be larger is written without the event's value and headers (their SHA-256
    #: and size instead, docs/architecture.md).
    dlq_max_message_bytes: int = Field(default=1_048_588, ge=65_536, le=100_000_000)
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: (
        Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"] | None
    ) = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_oauth_token_endpoint_url: str | None = None
    kafka_oauth_client_id: str | None = None
    kafka_oauth_client_secret: SecretStr | None = None
    kafka_oauth_scope: str | None = None
    #: GSSAPI (Kerberos): needs a librdkafka built with libsasl2 (checked at load).
    kafka_sasl_kerberos_service_name: str = "kafka"
    kafka_sasl_kerberos_principal: str | None = None
    kafka_sasl_kerberos_keytab: Path | None = None
    kafka_ssl_ca_location: Path | None = None
    kafka_ssl_certificate_location: Path | None = None
    kafka_ssl_key_location: Path | None = None
    kafka_ssl_key_password: SecretStr | None = None
    kafka_session_timeout_ms: int = Field(default=45_000, ge=6_000)
    kafka_max_poll_interval_ms: int = Field(default=300_000, ge=10_000)
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=0)
    #: Upper bound of what librdkafka pre-fetches into the consumer queue (memory bound;
    #: bench/RESULTS.md: 4 MiB keeps a 1M-event drain near 150 MB at no cost in throughput).
    kafka_queued_max_kbytes: int = Field(default=4_096, ge=1_024)
    #: Bytes one fetch returns per partition at most (librdkafka ``max.partition.fetch.bytes``):
    #: smaller fetches spread the buffer over more partitions, so more batches can be in flight.
    kafka_max_partition_fetch_bytes: int = Field(default=262_144, ge=1_024)
    #: How long librdkafka waits before fetching a partition again once the pre-fetch queue is
    #: full (``fetch.queue.backoff.ms``; librdkafka's 1000 ms stalls a small queue).
    kafka_fetch_queue_backoff_ms: int = Field(default=20, ge=0)
    kafka_auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    #: Other librdkafka properties for every client (``client.rack``, ``debug``, ...): a JSON
    #: object or ``key=value`` entries separated by ``;`` or newlines. Keys the commit protocol
    #: owns, and keys that have their own setting, are refused (consumer.kafka_config).
    kafka_properties: PropertyMap = Field(default_factory=dict)
    #: A ``.properties`` file of the same; ``SIGNALS_KAFKA_PROPERTIES`` wins on a shared key.
    kafka_properties_file: Path | None = None

    # --- schema registry ---------------------------------------------------------------------
    schema_registry_url: str = "http://localhost:8081"
    schema_registry_basic_auth: SecretStr | None = None  # "user:password"
    #: A static bearer token (``Authorization: Bearer``); excludes basic auth.
    schema_registry_bearer_token: SecretStr | None = None
    #: CA bundle (PEM) the registry's certificate must chain to; default: the system store.
    schema_registry_ca_location: Path | None = None
    #: Client certificate and key (PEM) for mutual TLS with the registry.
    schema_registry_certificate_location: Path | None = None
    schema_registry_key_location: Path | None = None
    schema_registry_key_password: SecretStr | None = None
    #: Read/write/pool timeout of one schema-registry request (the pipeline fetches schemas off
    #: its poll thread; one-shot commands wait for it).
    schema_registry_timeout_s: float = Field(default=10.0, gt=0)
    #: Directory of reader schemas (``.avsc``); default: the packaged ``schemas/``.
    schemas_dir: Path | None = None
    #: Directory or files of declarative mappings for schemas that are not ours.
    mapping_files: CsvList = Field(default_factory=list)
    #: How long an unknown schema id is remembered as missing.
    schema_negative_cache_s: float = Field(default=60.0, ge=0)
    #: How long an id the registry answers 404/40403 for is asked for again (retryable, the
    #: partition waits) before it is unknown: a registry follower may lag the leader by a moment
    #: after a producer registered a new schema. 0: unknown at the first 404.
    schema_not_found_retry_s: float = Field(default=5.0, ge=0, le=300)
    #: The native decode->literal fast path (package ``signals-native``): ``auto`` uses it when
    #: installed, ``native`` refuses to start without it, ``off`` keeps to pure Python.
    fast_path: Literal["auto", "native", "off"] = "auto"

    # --- Connect API -------------------------------------------------------------------------
    connect_region: Literal["us", "eu", "ap"] = "us"
    #: A full URL overrides the region (the sandbox: ``http://127.0.0.1:8080/graphql``).
    connect_url: str | None = None
    connect_api_key: SecretStr | None = None
    default_app_key: str | None = None
    #: ``topic=appKey`` pairs, comma-separated (or a JSON object).
    topic_app_keys: PairMap = Field(default_factory=dict)
    tier: Tier = "premium"
    #: Mark every signal ``test: true`` (for trials against a production subscription).
    test_signals: bool = False

    # --- batching and delivery ---------------------------------------------------------------
    batch_max_signals: int = Field(default=500, ge=1, le=500)
    batch_max_bytes: int = Field(default=1_000_000, ge=10_000)
    linger_ms: int = Field(default=200, ge=0)
    max_in_flight_mutations: int = Field(default=4, ge=1, le=64)
    #: Bound on consumed-but-unfinished events; partitions pause above it (backpressure).
    max_buffered_events: int = Field(default=20_000, ge=500)
    #: The same bound in bytes (key + value of consumed-but-unfinished records): partitions
    #: pause above it too, so a few large events cannot take the pod's memory.
    max_buffered_bytes: int = Field(default=33_554_432, ge=65_536)
    #: A record whose key + value is larger is dead-lettered (reason ``too_large``) without
    #: being decoded: decoding can take ~140 times its size (a record of empty Avro maps).
    max_record_bytes: int = Field(default=1_000_000, ge=1_024)
    http_connect_timeout_s: float = Field(default=5.0, gt=0)
    http_read_timeout_s: float = Field(default=30.0, gt=0)
    http_max_connections: int = Field(default=16, ge=1)
    retry_initial_backoff_ms: int = Field(default=500, ge=1)
    retry_max_backoff_ms: int = Field(default=60_000, ge=1)
    #: Give up retrying after this long (then dead-letter); empty means never give up.
    retry_max_elapsed_s: float | None = None
    #: Sends of a chunk whose answer the classification table does not know (an unknown
    #: error code) before it is handled as a rejection (split, then dead-lettered).
    unknown_error_max_attempts: int = Field(default=3, ge=1, le=100)
    #: Optional cap on mutations per second of this pod.
    request_rate_limit_per_s: float | None = Field(default=None, gt=0)
    #: Optional cap on mutations per second of the whole consumer group: each pod takes the
    #: share of its assigned partitions, recomputed on every rebalance, and halves its rate
    #: on throttling (AIMD). With both caps set, the lower one wins.
    connect_group_rate_limit_per_s: float | None = Field(default=None, gt=0)

    # --- operations --------------------------------------------------------------------------
    metrics_host: str = "0.0.0.0"
    metrics_port: int = Field(default=9400, ge=0, le=65535)
    #: /healthz fails when there is lag but no progress for this long.
    health_progress_timeout_s: float = Field(default=300.0, gt=0)
    drain_timeout_s: float = Field(default=30.0, gt=0)
    #: Exit (code 4) after the API key has been refused for this long; empty: keep waiting.
    auth_failure_exit_s: float | None = Field(default=None, gt=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Every secret ``SIGNALS_X`` may also come from the file named by ``SIGNALS_X_FILE``."""
        secret_files = SecretFiles(settings_cls, ENV_PREFIX)
        return init_settings, env_settings, secret_files, dotenv_settings, file_secret_settings

    @field_validator("topic_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.kafka_sasl_mechanism in {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}:
            for name in ("kafka_sasl_username", "kafka_sasl_password"):
                if not getattr(self, name):  # unset or empty (an empty SecretStr is falsy)
                    setting = f"{ENV_PREFIX}{name.upper()}"
                    raise ConfigurationError(
                        f"{setting} is required with "
                        f"SIGNALS_KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism}",
                        setting=setting,
                    )
        if self.retry_max_backoff_ms < self.retry_initial_backoff_ms:
            raise ConfigurationError(
                "SIGNALS_RETRY_MAX_BACKOFF_MS must be >= SIGNALS_RETRY_INITIAL_BACKOFF_MS",
                setting="SIGNALS_RETRY_MAX_BACKOFF_MS",
            )
        if self.kafka_sasl_mechanism == "OAUTHBEARER" and self.kafka_oauth_token_endpoint_url:
            for name in ("kafka_oauth_client_id", "kafka_oauth_client_secret"):
                if getattr(self, name) in (None, ""):
                    setting = f"{ENV_PREFIX}{name.upper()}"
                    raise ConfigurationError(
                        f"{setting} is required with SIGNALS_KAFKA_OAUTH_TOKEN_ENDPOINT_URL "
                        "(the OIDC client-credentials flow)",
                        setting=setting,
                    )
        if self.schema_registry_basic_auth and self.schema_registry_bearer_token:
            raise ConfigurationError(
                "SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN and SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH "
                "exclude each other; keep one",
                setting="SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN",
            )
        return self

    # --- derived -----------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        """The GraphQL URL to POST to: ``connect_url`` or the region's host."""
        return self.connect_url or REGION_URLS[self.connect_region]

    def app_key_for(self, topic: str) -> str | None:
        """The app key for events of ``topic`` that carry none themselves."""
        return self.topic_app_keys.get(topic, self.default_app_key)

    def redacted(self) -> dict[str, Any]:
        """Every setting by its environment name, secrets (and credentials in URLs) shown as
        ``**********``."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            env = f"{ENV_PREFIX}{name.upper()}"
            if isinstance(value, SecretStr):
                out[env] = "**********"
            elif name == "kafka_properties":  # free-form: hide what looks like a credential
                out[env] = {
                    key: "**********" if _SECRET_KEY.search(key) else val
                    for key, val in value.items()
                }
            elif isinstance(value, Path):
                out[env] = str(value)
            elif name.endswith("_url") and isinstance(value, str):
                out[env] = _URL_USERINFO.sub("**********@", value)
            else:
                out[env] = value
        return out


def require(settings: Settings, *names: str) -> None:
    """Raise :class:`ConfigurationError` naming the first of ``names`` that is unset."""
    for name in names:
        if getattr(settings, name) in (None, "", [], {}):
            raise ConfigurationError(
                f"{ENV_PREFIX}{name.upper()} is required", setting=f"{ENV_PREFIX}{name.upper()}"
            )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings once; a bad value raises ConfigurationError naming the variable."""
    env_file = os.environ.get(f"{ENV_PREFIX}ENV_FILE")
    if env_file and not Path(env_file).is_file():  # pydantic-settings would skip it silently
        raise ConfigurationError(
            f"{ENV_PREFIX}ENV_FILE: no such file: {env_file}", setting=f"{ENV_PREFIX}ENV_FILE"
        )
    try:
        settings = Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"]) or "settings"
        setting = f"{ENV_PREFIX}{loc.upper()}" if first["loc"] else "settings"
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: "
            f"{err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}", setting=setting) from exc
    from consumer.avro.registry_tls import registry_verify
    from consumer.kafka_config import check_kafka_config  # the edge of librdkafka's keys

    check_kafka_config(settings)  # librdkafka's own rules, before anything starts
    registry_verify(settings)  # the registry's CA bundle and client key load
    return settings
