"""What keeps the native fast path from drifting (no extension needed: these run without cargo)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import consumer.native_guard as guard
from consumer.avro.decoder import Decoder
from consumer.mapping.assemble import assemble as real_assemble
from consumer.mapping.tables import EventTable, FieldMap
from consumer.native import Unsupported, _check, build_plan
from consumer.native_guard import TRANSLATED, check_translated, fingerprint, shape
from consumer.signals.catalog import SIGNAL_TYPES, FieldSpec, Kind, SignalTypeSpec
from tests.unit.avro.fakes import RegistryStub, our_schemas, settings

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT_FILE = ROOT / "native" / "src" / "rules.fingerprint"


@pytest.mark.parametrize("cls", [FieldSpec, SignalTypeSpec, EventTable, FieldMap])
def test_every_attribute_of_the_tables_is_translated(cls: type) -> None:
    """A new attribute of a catalog or table dataclass fails here until build_plan translates it."""
    assert {f.name for f in dataclasses.fields(cls)} == TRANSLATED[cls]


def test_an_attribute_the_plan_does_not_translate_is_refused() -> None:
    """A field spec with an attribute unknown to build_plan (a new rule) is not planned."""

    @dataclasses.dataclass(frozen=True, slots=True)
    class Patterned(FieldSpec):
        pattern: str = ""

    spec = Patterned("sku", Kind.STRING, pattern="[A-Z]+")
    with pytest.raises(LookupError, match=r"Patterned\.pattern is not translated"):
        check_translated(spec)
    with pytest.raises(Unsupported, match="pattern"):
        _check(spec)


def test_a_signal_type_with_such_an_attribute_is_not_planned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """build_plan refuses a schema whose signal type holds an untranslated field spec."""

    @dataclasses.dataclass(frozen=True, slots=True)
    class Patterned(FieldSpec):
        pattern: str = ""

    page = SIGNAL_TYPES["pageView"]
    fields = (*page.fields, Patterned("url", Kind.STRING, pattern="https://.*"))
    monkeypatch.setitem(SIGNAL_TYPES, "pageView", dataclasses.replace(page, fields=fields))
    schemas = our_schemas()
    registry = RegistryStub({1: schemas["PageViewEvent"]}).registry()
    decoder_plan = Decoder(settings(), registry)._plan(1)
    with pytest.raises(Unsupported, match="pattern is not translated"):
        build_plan(decoder_plan, settings())


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_a_native_checker(kind: Kind) -> None:
    """A new Kind fails here until build_plan gives the native side a checker for it."""
    item = FieldSpec("y", Kind.STRING)
    spec = FieldSpec("x", kind, values=frozenset({"a"}), item_fields=(item,))
    assert _check(spec)["k"]


def test_a_kind_without_a_checker_is_refused() -> None:
    """A kind build_plan does not know is refused, not silently unchecked."""
    with pytest.raises(Unsupported, match="field kind"):
        _check(FieldSpec("x", "regex"))  # type: ignore[arg-type]


def test_the_fingerprint_file_matches_the_python_rules() -> None:
    """native/src/rules.fingerprint is the fingerprint of today's Python rules.

    When this fails, a module in ``MIRRORED_MODULES`` changed: check that native/src still does
    the same, then ``python -m consumer.native_guard > native/src/rules.fingerprint`` and rebuild.
    """
    assert FINGERPRINT_FILE.read_text().strip() == fingerprint()


def _fingerprint_with(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> str:
    real = guard._source

    def edited(module: str) -> str:
        text = real(module)
        if module == "consumer.signals.rules":
            assert old in text
            text = text.replace(old, new, 1)
        return text

    monkeypatch.setattr(guard, "_source", edited)
    return fingerprint.__wrapped__()


@pytest.mark.parametrize(
    ("old", "new", "changes"),
    [
        ("len(value) <= 254", "len(value) <= 320", True),
        ('"sms": "e164"', '"sms": "any"', True),
        (
            "def is_email(value: str) -> bool:\n",
            "def is_email(value: str) -> bool:  # note\n",
            False,
        ),
        ('"""Plausible e-mail syntax', '"""A plausible e-mail syntax', False),
    ],
)
def test_a_changed_rule_changes_the_fingerprint(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str, changes: bool
) -> None:
    """A changed rule changes the fingerprint; comments and docstrings do not."""
    assert (_fingerprint_with(monkeypatch, old, new) != fingerprint()) is changes


def test_the_shape_is_read_off_the_python_path() -> None:
    """Keys, their order and the constants come from mapper.assemble and Signal.as_input."""
    search = shape("onSiteSearch")
    assert search["category"] == "Behavior"
    assert search["event_id_attribute"] == "eventId"
    assert search["effect_zero"] == {
        "key": "numberOfResults",
        "zero": "negative",
        "otherwise": "positive",
    }
    assert [key for _, key in search["input_keys"]] == [
        "appKey", "identifiableAttributes", "sessionId", "signalContent", "test",
    ]  # fmt: skip
    assert shape("error")["default_effect"] == "negative"
    assert shape("pageView")["default_name"] == "Page view"


def test_a_content_key_unknown_to_the_native_side_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the mapper starts writing a fixed key the native side does not know, no plan."""

    def assemble(**kwargs: Any) -> Any:
        signal = real_assemble(**kwargs)
        signal.content["source"] = 7
        return signal

    monkeypatch.setattr("consumer.native_guard.assemble", assemble)
    with pytest.raises(LookupError, match=r"signalContent\.source"):
        shape.__wrapped__("pageView")


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "CI is set but")])
def test_without_the_extension_native_tests_skip_except_in_ci(
    tmp_path: Path, ci: str, outcome: str
) -> None:
    """With signals_native missing, test_native.py skips saying why; with CI set, it fails."""
    (tmp_path / "signals_native.py").write_text(
        'raise ModuleNotFoundError("hidden", name="signals_native")\n'
    )
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         str(ROOT / "tests" / "unit" / "test_native.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert outcome in run.stdout
    assert (run.returncode == 2) is bool(ci)  # 2: collection interrupted; 5: all skipped
    if not ci:
        assert "the native fast path is not installed" in run.stdout


def test_an_extension_built_for_other_rules_is_reported_once() -> None:
    """A FastPath over an extension with another fingerprint logs fast_path_stale at start."""
    from types import SimpleNamespace

    from structlog.testing import capture_logs

    from consumer.native import FastPath

    stale = SimpleNamespace(FastPath=object, RULES_FINGERPRINT="sha256:older")
    with capture_logs() as logs:
        FastPath(stale, None, settings())  # type: ignore[arg-type]
    assert [entry["event"] for entry in logs] == ["fast_path_stale"]
    assert logs[0]["built"] == "sha256:older"
    assert logs[0]["rules"] == fingerprint()
