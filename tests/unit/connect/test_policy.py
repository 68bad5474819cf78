"""The shared decision per answer (consumer/connect/policy.py): split, retry, stop or accept."""

from __future__ import annotations

import pytest

from consumer.connect.policy import Action, Rejection, decide, next_attempt
from consumer.errors import (
    ApiAuthError,
    ApiQueryRejected,
    ApiThrottled,
    ApiUnavailable,
    ApiUnrecognised,
    BatchRejected,
    SignalIdsMismatch,
)


def test_accepted_finishes_every_signal() -> None:
    """No error: every index is accepted."""
    assert decide(None, size=3).accepted == (0, 1, 2)


@pytest.mark.parametrize("err", [ApiThrottled("t", retry_after_s=2.0), ApiUnavailable("504")])
def test_outages_and_throttling_retry(err: Exception) -> None:
    """Throttling and outages resend the same chunk."""
    assert decide(err, size=500).action is Action.RETRY


def test_refused_key_stops() -> None:
    """A refused key stops sending."""
    assert decide(ApiAuthError("401"), size=500).action is Action.STOP_AUTH


def test_unnamed_rejection_bisects_and_a_lone_signal_is_dead_lettered_with_the_api_words() -> None:
    """Without indexes the chunk is halved; alone, the signal carries message, code, category."""
    err = BatchRejected(
        "Field x has invalid value", api_code="INVALID_ATTRIBUTE_VALUE", category="C"
    )
    assert decide(err, size=5).again == ((0, 1), (2, 3, 4))
    verdict = decide(err, size=1)
    assert verdict.bad == (
        (0, Rejection("Field x has invalid value", "INVALID_ATTRIBUTE_VALUE", "C")),
    )
    assert verdict.again == ()


def test_named_rejection_drops_the_named_and_resends_the_rest() -> None:
    """Named indexes are dead-lettered with their message; the rest goes again as one chunk."""
    verdict = decide(BatchRejected("bad", {1: "email: invalid"}, api_code="BAD_USER_INPUT"), size=3)
    assert verdict.bad == ((1, Rejection("email: invalid", "BAD_USER_INPUT")),)
    assert verdict.again == ((0, 2),)


def test_unrecognised_is_retried_a_bounded_number_of_times_then_rejected() -> None:
    """An unknown code retries until the bound, then splits like a rejection."""
    err = ApiUnrecognised("unknown", api_error="who knows", api_code="NEW_CODE")
    assert decide(err, size=4, unknown_answers=2, max_unknown_attempts=3).action is Action.RETRY
    assert decide(err, size=4, unknown_answers=3, max_unknown_attempts=3).again == ((0, 1), (2, 3))
    lone = decide(err, size=1, unknown_answers=3, max_unknown_attempts=3)
    assert lone.bad == ((0, Rejection("who knows", "NEW_CODE")),)


def test_query_rejection_bisects_then_stops_unless_part_of_the_batch_was_accepted() -> None:
    """A query-level failure splits; alone it stops, or dead-letters once a part was accepted."""
    err = ApiQueryRejected("the API refused the mutation itself", api_code="GRAPHQL_PARSE_FAILED")
    assert decide(err, size=4).again == ((0, 1), (2, 3))
    assert decide(err, size=4).bad == ()
    assert decide(err, size=1).action is Action.STOP_QUERY
    bad = decide(err, size=1, accepted_since_query_failure=True).bad
    assert bad[0][1].api_code == "GRAPHQL_PARSE_FAILED"


def test_null_ids_accept_the_others_and_resend_the_rest() -> None:
    """Null ids: the accepted finish and the nulls go again as one chunk."""
    verdict = decide(SignalIdsMismatch("1 null", accepted=(0, 2, 3)), size=4)
    assert verdict.action is Action.PARTIAL
    assert verdict.accepted == (0, 2, 3)
    assert verdict.again == ((1,),)


def test_a_wrong_count_bisects_and_alone_is_dead_lettered_as_not_confirmed() -> None:
    """A wrong count trusts nothing: halves, and a lone signal, once its bounded attempts are
    used up, gets its own reason."""
    err = SignalIdsMismatch("expected 4 signalIds, got 1")
    assert decide(err, size=4).again == ((0, 1), (2, 3))
    ((index, rejection),) = decide(err, size=1, unknown_answers=3, max_unknown_attempts=3).bad
    assert index == 0
    assert rejection.confirmed is False


def test_a_lone_unconfirmed_signal_is_sent_again_before_it_is_dead_lettered() -> None:
    """A lone signal whose answer does not confirm it (a wrong count, a null id) is retried up
    to SIGNALS_UNKNOWN_ERROR_MAX_ATTEMPTS answers before it is dead-lettered (one odd answer
    must not dead-letter a good event)."""
    err = SignalIdsMismatch("expected 1 signalIds, got 0")
    assert decide(err, size=1, unknown_answers=1, max_unknown_attempts=3).action is Action.RETRY
    assert decide(err, size=1, unknown_answers=2, max_unknown_attempts=3).action is Action.RETRY
    assert decide(err, size=1, unknown_answers=3, max_unknown_attempts=3).action is Action.SPLIT


def test_the_attempt_count_starts_again_when_the_cause_changes() -> None:
    """Nine throttled attempts then a 504: the 504 is attempt 1."""
    assert next_attempt("throttled", 9, "throttled") == 10
    assert next_attempt("throttled", 9, "unavailable") == 1
    assert next_attempt(None, 0, "unavailable") == 1


def test_out_of_range_indexes_fall_back_to_bisection() -> None:
    """Indexes outside the chunk are ignored: the chunk is bisected."""
    verdict = decide(BatchRejected("bad", {9: "?"}), size=2)
    assert verdict.bad == ()
    assert verdict.again == ((0,), (1,))
