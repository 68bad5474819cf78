"""Scale-down on the real broker: a stopped member's partitions move within seconds by default."""

from __future__ import annotations

import pytest

from dev.membership import measure_move

pytestmark = pytest.mark.integration


def test_dynamic_membership_moves_a_stopped_members_partitions_within_five_seconds(
    kafka_bootstrap: str,
) -> None:
    """Without group.instance.id (the default) close() leaves the group: partitions move < 5 s."""
    assert measure_move(kafka_bootstrap, static=False, partitions=4) < 5.0
