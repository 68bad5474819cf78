"""The re-drive state file: saved atomically, reloaded, refused for another selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consumer.errors import OperationRefused
from consumer.ops.dlq_records import DlqFilter
from consumer.ops.redrive import RedriveState, default_state_path


def test_round_trip(tmp_path: Path) -> None:
    """Saved offsets are read back for the same topic and selection."""
    path = tmp_path / "deep" / "state.json"
    select = DlqFilter(reasons=("not_entitled",))
    state = RedriveState.load(path, "dlq", select, restart=False)
    assert state.next_offsets == {}
    state.next_offsets.update({0: 12, 2: 5})
    state.save()
    again = RedriveState.load(path, "dlq", select, restart=False)
    assert again.next_offsets == {0: 12, 2: 5}
    assert json.loads(path.read_text())["next_offsets"] == {"0": 12, "2": 5}
    assert not path.with_name("state.json.tmp").exists()


def test_another_selection_is_refused_unless_restarting(tmp_path: Path) -> None:
    """A state file of another filter is refused with a hint; --restart starts over."""
    path = tmp_path / "state.json"
    state = RedriveState.load(path, "dlq", DlqFilter(reasons=("a",)), restart=False)
    state.next_offsets[0] = 9
    state.save()
    with pytest.raises(OperationRefused, match="another selection"):
        RedriveState.load(path, "dlq", DlqFilter(reasons=("b",)), restart=False)
    with pytest.raises(OperationRefused, match="another --state-file"):
        RedriveState.load(path, "other-dlq", DlqFilter(reasons=("a",)), restart=False)
    fresh = RedriveState.load(path, "dlq", DlqFilter(reasons=("b",)), restart=True)
    assert fresh.next_offsets == {}


def test_a_corrupt_state_file_is_refused(tmp_path: Path) -> None:
    """An unreadable state file stops the re-drive with the path in the message."""
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(OperationRefused, match=r"state\.json"):
        RedriveState.load(path, "dlq", DlqFilter(), restart=False)


def test_default_path_is_per_topic() -> None:
    """The default state file lives in .cache/redrive and is named after the topic."""
    assert default_state_path("signals.dlq") == Path(".cache/redrive/signals.dlq.json")
    assert default_state_path("a/b") == Path(".cache/redrive/a_b.json")
