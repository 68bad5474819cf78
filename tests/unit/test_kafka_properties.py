"""Any cluster: librdkafka properties passed through, librdkafka's own rules checked at load,
SASL mechanisms, secrets from files, the schema registry's TLS and authentication."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from consumer.avro.registry import SchemaRegistry
from consumer.avro.registry_tls import registry_verify
from consumer.config import Settings, load_settings
from consumer.errors import ConfigurationError
from consumer.kafka_config import admin_config, consumer_config, producer_config

ROOT = Path(__file__).resolve().parents[2]
TLS = ROOT / "tests" / "fixtures" / "tls"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SIGNALS_"):
            monkeypatch.delenv(name)


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def _refused(monkeypatch: pytest.MonkeyPatch, **env: str) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        _load(monkeypatch, **env)
    return info.value


# --- librdkafka properties -------------------------------------------------------------------


def test_properties_as_json_reach_every_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGNALS_KAFKA_PROPERTIES as a JSON object reaches the consumer, producer and admin."""
    settings = _load(
        monkeypatch,
        SIGNALS_KAFKA_PROPERTIES='{"client.rack": "eu-1a", "socket.keepalive.enable": true}',
    )
    for conf in (consumer_config(settings), producer_config(settings), admin_config(settings)):
        assert conf["client.rack"] == "eu-1a"
        assert conf["socket.keepalive.enable"] == "true"


def test_properties_as_pairs_keep_commas_in_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """``key=value`` pairs separated by ``;`` or newlines; a value may hold commas."""
    settings = _load(
        monkeypatch,
        SIGNALS_KAFKA_PROPERTIES="debug=broker,topic; client.rack=r1\nsocket.nagle.disable=true",
    )
    conf = consumer_config(settings)
    assert (conf["debug"], conf["client.rack"], conf["socket.nagle.disable"]) == (
        "broker,topic",
        "r1",
        "true",
    )


def test_properties_file_is_read_and_the_variable_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A .properties file (comments, blank lines) is read; SIGNALS_KAFKA_PROPERTIES overrides it."""
    path = tmp_path / "kafka.properties"
    path.write_text("# cluster tuning\n\nclient.rack = az-1\nsocket.keepalive.enable=true\n")
    settings = _load(
        monkeypatch,
        SIGNALS_KAFKA_PROPERTIES_FILE=str(path),
        SIGNALS_KAFKA_PROPERTIES="client.rack=az-2",
    )
    conf = consumer_config(settings)
    assert conf["client.rack"] == "az-2"
    assert conf["socket.keepalive.enable"] == "true"


@pytest.mark.parametrize(
    "key",
    [
        "enable.auto.commit",
        "enable.auto.offset.store",
        "partition.assignment.strategy",
        "enable.idempotence",
        "acks",
        "group.id",
        "group.instance.id",
    ],
)
def test_keys_the_commit_protocol_owns_are_refused(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """A key the commit protocol or the dead-letter guarantees own is refused, by name."""
    err = _refused(monkeypatch, SIGNALS_KAFKA_PROPERTIES=f"{key}=x")
    assert err.setting == "SIGNALS_KAFKA_PROPERTIES"
    assert key in str(err)


def test_a_key_with_its_own_setting_names_that_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """``session.timeout.ms`` in the properties points at SIGNALS_KAFKA_SESSION_TIMEOUT_MS."""
    err = _refused(monkeypatch, SIGNALS_KAFKA_PROPERTIES="session.timeout.ms=10000")
    assert err.setting == "SIGNALS_KAFKA_PROPERTIES"
    assert "SIGNALS_KAFKA_SESSION_TIMEOUT_MS" in str(err)


def test_an_unknown_property_is_refused_before_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """librdkafka's own refusal of a misspelt key becomes a ConfigurationError at load."""
    err = _refused(monkeypatch, SIGNALS_KAFKA_PROPERTIES="client.rak=az-1")
    assert err.setting == "SIGNALS_KAFKA_PROPERTIES"
    assert "client.rak" in str(err)


def test_malformed_properties_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry without ``=`` is a configuration error naming the variable."""
    err = _refused(monkeypatch, SIGNALS_KAFKA_PROPERTIES="client.rack")
    assert err.setting == "SIGNALS_KAFKA_PROPERTIES"


def test_cross_setting_rule_fails_at_load_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """max.poll.interval.ms below session.timeout.ms is refused at load, naming the setting."""
    err = _refused(monkeypatch, SIGNALS_KAFKA_MAX_POLL_INTERVAL_MS="30000")
    assert err.setting == "SIGNALS_KAFKA_MAX_POLL_INTERVAL_MS"
    assert "SIGNALS_KAFKA_SESSION_TIMEOUT_MS" in str(err)


def test_config_command_exits_3_on_a_cross_setting_rule() -> None:
    """``config`` (not only ``run``) exits 3 on librdkafka's cross-setting rules, no traceback."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    result = subprocess.run(
        [sys.executable, "-m", "consumer", "config"],
        cwd=ROOT,
        env={**clean, "SIGNALS_KAFKA_MAX_POLL_INTERVAL_MS": "30000"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "SIGNALS_KAFKA_MAX_POLL_INTERVAL_MS" in result.stderr
    assert "Traceback" not in result.stderr


# --- SASL ------------------------------------------------------------------------------------


def test_oauthbearer_oidc_settings_become_librdkafka_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """OAUTHBEARER with a token endpoint is librdkafka's OIDC client-credentials flow."""
    settings = _load(
        monkeypatch,
        SIGNALS_KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        SIGNALS_KAFKA_SASL_MECHANISM="OAUTHBEARER",
        SIGNALS_KAFKA_OAUTH_TOKEN_ENDPOINT_URL="https://idp.example/token",
        SIGNALS_KAFKA_OAUTH_CLIENT_ID="signals",
        SIGNALS_KAFKA_OAUTH_CLIENT_SECRET="s3cret",
        SIGNALS_KAFKA_OAUTH_SCOPE="kafka",
    )
    conf = admin_config(settings)
    assert conf["sasl.mechanism"] == "OAUTHBEARER"
    assert conf["sasl.oauthbearer.method"] == "oidc"
    assert conf["sasl.oauthbearer.token.endpoint.url"] == "https://idp.example/token"
    assert conf["sasl.oauthbearer.client.id"] == "signals"
    assert conf["sasl.oauthbearer.client.secret"] == "s3cret"
    assert conf["sasl.oauthbearer.scope"] == "kafka"


def test_oidc_without_client_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token endpoint without a client id names SIGNALS_KAFKA_OAUTH_CLIENT_ID."""
    err = _refused(
        monkeypatch,
        SIGNALS_KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        SIGNALS_KAFKA_SASL_MECHANISM="OAUTHBEARER",
        SIGNALS_KAFKA_OAUTH_TOKEN_ENDPOINT_URL="https://idp.example/token",
    )
    assert err.setting == "SIGNALS_KAFKA_OAUTH_CLIENT_ID"


def test_a_mechanism_this_librdkafka_lacks_names_the_mechanism_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GSSAPI with the confluent-kafka wheel (no libsasl2) is refused at load, by setting."""
    err = _refused(
        monkeypatch,
        SIGNALS_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        SIGNALS_KAFKA_SASL_MECHANISM="GSSAPI",
    )
    assert err.setting == "SIGNALS_KAFKA_SASL_MECHANISM"
    assert "GSSAPI" in str(err)


def test_gssapi_settings_become_kerberos_keys() -> None:
    """GSSAPI maps service name, principal and keytab to librdkafka's Kerberos keys."""
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="GSSAPI",
        kafka_sasl_kerberos_principal="signals@EXAMPLE.COM",
        kafka_sasl_kerberos_keytab=Path("/etc/krb5/signals.keytab"),
    )
    conf = admin_config(settings)
    assert conf["sasl.mechanism"] == "GSSAPI"
    assert conf["sasl.kerberos.service.name"] == "kafka"
    assert conf["sasl.kerberos.principal"] == "signals@EXAMPLE.COM"
    assert conf["sasl.kerberos.keytab"] == "/etc/krb5/signals.keytab"


# --- secrets from files ----------------------------------------------------------------------


def test_secret_read_from_a_file_and_redacted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``SIGNALS_CONNECT_API_KEY_FILE`` is read (trailing newline dropped) and never shown."""
    path = tmp_path / "api-key"
    path.write_text("ak-from-file\n")
    settings = _load(monkeypatch, SIGNALS_CONNECT_API_KEY_FILE=str(path))
    assert settings.connect_api_key is not None
    assert settings.connect_api_key.get_secret_value() == "ak-from-file"
    assert settings.redacted()["SIGNALS_CONNECT_API_KEY"] == "**********"
    assert "ak-from-file" not in repr(settings)


@pytest.mark.parametrize(
    "name",
    [
        "SIGNALS_KAFKA_SASL_PASSWORD",
        "SIGNALS_KAFKA_OAUTH_CLIENT_SECRET",
        "SIGNALS_KAFKA_SSL_KEY_PASSWORD",
        "SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH",
        "SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN",
        "SIGNALS_SCHEMA_REGISTRY_KEY_PASSWORD",
    ],
)
def test_every_secret_has_a_file_variant(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    """Each secret setting can be read from ``<NAME>_FILE`` (a Kubernetes secret mount)."""
    path = tmp_path / "secret"
    path.write_text("user:from-file")
    settings = _load(monkeypatch, **{f"{name}_FILE": str(path)})
    value = getattr(settings, name.removeprefix("SIGNALS_").lower())
    assert value.get_secret_value() == "user:from-file"


def test_a_secret_and_its_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Setting both the variable and its ``_FILE`` is ambiguous: refused, naming both."""
    path = tmp_path / "api-key"
    path.write_text("a")
    err = _refused(monkeypatch, SIGNALS_CONNECT_API_KEY="b", SIGNALS_CONNECT_API_KEY_FILE=str(path))
    assert err.setting == "SIGNALS_CONNECT_API_KEY_FILE"
    assert "SIGNALS_CONNECT_API_KEY" in str(err)


def test_an_unreadable_secret_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A missing secret file names its variable (and never prints a value)."""
    err = _refused(monkeypatch, SIGNALS_CONNECT_API_KEY_FILE=str(tmp_path / "missing"))
    assert err.setting == "SIGNALS_CONNECT_API_KEY_FILE"


# --- schema registry -------------------------------------------------------------------------


def test_registry_trusts_the_ca_bundle_and_presents_the_client_certificate() -> None:
    """The registry client loads the CA bundle and the (password-protected) client key pair."""
    settings = Settings(
        schema_registry_url="https://registry.example:8081",
        schema_registry_ca_location=TLS / "ca.pem",
        schema_registry_certificate_location=TLS / "client.pem",
        schema_registry_key_location=TLS / "client.key",
        schema_registry_key_password="key-password",  # type: ignore[arg-type]
    )
    context = registry_verify(settings)
    assert isinstance(context, ssl.SSLContext)
    assert context.get_ca_certs()[0]["subject"] == ((("commonName", "signals test CA"),),)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert registry_verify(Settings()) is True  # no CA, no client certificate: system store


def test_registry_with_a_wrong_key_password_names_the_setting() -> None:
    """A client key that cannot be loaded is a configuration error naming the key settings."""
    settings = Settings(
        schema_registry_url="https://registry.example:8081",
        schema_registry_certificate_location=TLS / "client.pem",
        schema_registry_key_location=TLS / "client.key",
        schema_registry_key_password="wrong",  # type: ignore[arg-type]
    )
    with pytest.raises(ConfigurationError) as info:
        SchemaRegistry(settings)
    assert info.value.setting == "SIGNALS_SCHEMA_REGISTRY_CERTIFICATE_LOCATION"


def test_registry_bearer_token_is_sent() -> None:
    """A bearer token becomes the Authorization header."""
    settings = Settings(schema_registry_bearer_token="tok-123")  # type: ignore[arg-type]
    registry = SchemaRegistry(settings)
    try:
        assert registry._http.headers["authorization"] == "Bearer tok-123"
    finally:
        registry.close()


def test_registry_basic_and_bearer_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Basic auth and a bearer token exclude each other."""
    err = _refused(
        monkeypatch,
        SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH="u:p",
        SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN="t",
    )
    assert err.setting == "SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN"


def test_secret_looking_properties_are_redacted_in_config_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``config`` hides the values of properties whose key names a password, secret or token."""
    settings = _load(
        monkeypatch,
        SIGNALS_KAFKA_PROPERTIES="ssl.keystore.password=ks-pw-1;sasl.oauthbearer.config=tok;"
        "client.rack=az-1",
    )
    shown = settings.redacted()["SIGNALS_KAFKA_PROPERTIES"]
    assert shown == {
        "ssl.keystore.password": "**********",
        "sasl.oauthbearer.config": "**********",
        "client.rack": "az-1",
    }


def test_a_malformed_property_entry_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry without ``=`` is refused without printing it (it may hold a secret)."""
    err = _refused(monkeypatch, SIGNALS_KAFKA_PROPERTIES="sasl.oauthbearer.config hunter2")
    assert err.setting == "SIGNALS_KAFKA_PROPERTIES"
    assert "hunter2" not in str(err)


def test_a_malformed_properties_file_line_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ``.properties`` line without a separator is refused by number, not by content."""
    path = tmp_path / "client.properties"
    path.write_text("client.rack=az-1\nssl.keystore.password hunter2\n", encoding="utf-8")
    err = _refused(monkeypatch, SIGNALS_KAFKA_PROPERTIES_FILE=str(path))
    assert err.setting == "SIGNALS_KAFKA_PROPERTIES_FILE"
    assert "line 2" in str(err)
    assert "hunter2" not in str(err)


def test_a_passphrase_property_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    """librdkafka's private-key passphrase (OAUTHBEARER JWT assertion) is hidden by ``config``."""
    settings = _load(
        monkeypatch,
        SIGNALS_KAFKA_PROPERTIES="sasl.oauthbearer.assertion.private.key.passphrase=hunter2",
    )
    shown = settings.redacted()["SIGNALS_KAFKA_PROPERTIES"]
    assert shown == {"sasl.oauthbearer.assertion.private.key.passphrase": "**********"}


def test_sasl_without_credentials_names_the_missing_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PLAIN without a password names SIGNALS_KAFKA_SASL_PASSWORD, not a pseudo-setting."""
    err = _refused(
        monkeypatch, SIGNALS_KAFKA_SASL_MECHANISM="PLAIN", SIGNALS_KAFKA_SASL_USERNAME="u"
    )
    assert err.setting == "SIGNALS_KAFKA_SASL_PASSWORD"
    assert "SIGNALS_KAFKA_SASL_PASSWORD" in str(err)


def test_backoff_bounds_out_of_order_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A maximum backoff below the initial one names SIGNALS_RETRY_MAX_BACKOFF_MS."""
    err = _refused(monkeypatch, SIGNALS_RETRY_MAX_BACKOFF_MS="1")
    assert err.setting == "SIGNALS_RETRY_MAX_BACKOFF_MS"
    assert "SIGNALS_RETRY_INITIAL_BACKOFF_MS" in str(err)


def test_a_missing_env_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SIGNALS_ENV_FILE naming no file stops the load (it was silently ignored)."""
    err = _refused(monkeypatch, SIGNALS_ENV_FILE=str(tmp_path / "missing.env"))
    assert err.setting == "SIGNALS_ENV_FILE"


def test_an_empty_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SIGNALS_RETRY_MAX_ELAPSED_S=`` is "never give up", as documented, not a bad number."""
    settings = _load(monkeypatch, SIGNALS_RETRY_MAX_ELAPSED_S="", SIGNALS_AUTH_FAILURE_EXIT_S="")
    assert settings.retry_max_elapsed_s is None
    assert settings.auth_failure_exit_s is None


def test_an_unreadable_registry_ca_bundle_is_refused_at_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``config`` (every command) stops on a registry CA bundle it cannot load, naming it."""
    err = _refused(monkeypatch, SIGNALS_SCHEMA_REGISTRY_CA_LOCATION=str(tmp_path / "no.pem"))
    assert err.setting == "SIGNALS_SCHEMA_REGISTRY_CA_LOCATION"


def test_credentials_in_a_url_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    """``config`` hides the user:password part of a registry or Connect URL."""
    settings = _load(
        monkeypatch,
        SIGNALS_SCHEMA_REGISTRY_URL="https://sr-user:hunter2@registry.example:8081",
        SIGNALS_CONNECT_URL="https://key:hunter2@connect.example/graphql",
    )
    shown = settings.redacted()
    assert shown["SIGNALS_SCHEMA_REGISTRY_URL"] == "https://**********@registry.example:8081"
    assert shown["SIGNALS_CONNECT_URL"] == "https://**********@connect.example/graphql"
