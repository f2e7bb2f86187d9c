"""The delivery fault suite's own arithmetic (bench/faultlib.py): lost, duplicated, kept Message-ID, the table.

The suite itself needs PostgreSQL, Redis, Celery processes and minutes (`make faults`); what it
concludes from what the SMTP listener recorded is checked here, so that a wrong count cannot turn a
lost or re-identified message into a pass.
"""

from __future__ import annotations

from bench.faultlib import (
    Check,
    Outcome,
    Tally,
    alert_wait_check,
    all_passed,
    duplicates,
    format_table,
    latency_after,
    tally,
    task_durations,
    time_limit_errors,
)


def test_every_recipient_once_is_nothing_lost_nor_duplicated():
    received = [("a@x.test", "<1@x>"), ("b@x.test", "<2@x>"), ("c@x.test", "<3@x>")]
    assert tally(["a@x.test", "b@x.test", "c@x.test"], received) == Tally(
        expected=3, received=3, lost=0, duplicated=0, kept_id=0, unexpected=0
    )


def test_a_recipient_who_got_nothing_is_lost():
    result = tally(["a@x.test", "b@x.test", "c@x.test"], [("a@x.test", "<1@x>")])
    assert (result.lost, result.received, result.duplicated) == (2, 1, 0)


def test_duplicates_are_found_by_recipient_whatever_their_message_id():
    # The same message twice (a worker killed after the server took it), and one sent again as a
    # new message: both are duplicates, only the first kept its Message-ID.
    received = [
        ("a@x.test", "<1@x>"),
        ("b@x.test", "<2@x>"),
        ("a@x.test", "<1@x>"),
        ("b@x.test", "<9@x>"),
    ]
    result = tally(["a@x.test", "b@x.test"], received)
    assert (result.lost, result.duplicated, result.kept_id, result.received) == (0, 2, 1, 4)


def test_the_duplicated_recipients_are_listed_with_the_message_ids_of_their_copies():
    received = [("a@x.test", "<1@x>"), ("B@x.test", "<2@x>"), ("a@x.test", "<1@x>"), ("b@x.test", "<9@x>")]
    assert duplicates(received) == {"a@x.test": ["<1@x>", "<1@x>"], "b@x.test": ["<2@x>", "<9@x>"]}
    assert duplicates([("a@x.test", "<1@x>")]) == {}


def test_a_third_copy_is_compared_with_the_first_one():
    received = [("a@x.test", "<1@x>"), ("a@x.test", "<1@x>"), ("a@x.test", "<2@x>")]
    result = tally(["a@x.test"], received)
    assert (result.duplicated, result.kept_id) == (2, 1)


def test_addresses_match_whatever_their_capitals_and_strangers_are_counted_apart():
    received = [("A@X.test", "<1@x>"), ("a@x.test", "<1@x>"), ("stranger@x.test", "<5@x>")]
    result = tally(["a@X.TEST"], received)
    assert result == Tally(expected=1, received=3, lost=0, duplicated=1, kept_id=1, unexpected=1)


def _outcome(name: str = "kill", *, lost: int = 0, duplicated: int = 0, kept: int = 0, checks=()) -> Outcome:
    t = Tally(
        expected=10, received=10 - lost + duplicated, lost=lost, duplicated=duplicated, kept_id=kept, unexpected=0
    )
    return Outcome(name, t, sent_db=10, seconds=12.34, checks=list(checks))


def test_a_scenario_passes_only_with_nothing_lost_every_duplicate_kept_and_every_check_met():
    assert _outcome(duplicated=2, kept=2).passed
    assert not _outcome(lost=1).passed
    assert not _outcome(duplicated=2, kept=1).passed  # a duplicate with a new Message-ID
    assert not _outcome(checks=[Check(True, "fine"), Check(False, "alert too late")]).passed
    assert all_passed([_outcome(), _outcome(duplicated=1, kept=1)])
    assert not all_passed([_outcome(), _outcome(lost=1)])
    assert not all_passed([])  # nothing run proves nothing


def test_the_table_has_a_row_per_scenario_with_kept_message_ids_as_a_fraction():
    table = format_table(
        [
            _outcome("worker kill -9", duplicated=2, kept=2, checks=[Check(True, "alerts 6.1 s after the kill")]),
            _outcome("SMTP down", lost=1, checks=[Check(False, "3 given up")]),
        ]
    )
    lines = table.splitlines()
    assert lines[0].startswith("| scenario | expected | sent (DB) | received | lost | duplicated | kept Message-ID |")
    assert lines[2] == "| worker kill -9 | 10 | 10 | 12 | 0 | 2 | 2/2 | 12 | alerts 6.1 s after the kill |"
    assert lines[3] == "| SMTP down | 10 | 10 | 9 | 1 | 0 | 0/0 | 12 | FAILED: 3 given up |"
    assert len(lines) == 4


def test_the_json_row_says_whether_the_scenario_passed():
    row = _outcome(duplicated=1, kept=0).as_dict()
    assert row["passed"] is False
    assert (row["duplicated"], row["kept_id"], row["seconds"]) == (1, 0, 12.3)


def test_latency_runs_until_the_last_recipient_got_their_first_message():
    arrivals = [("a@x.test", 100.5), ("b@x.test", 103.0), ("a@x.test", 109.0)]
    assert latency_after(arrivals, ["a@x.test", "b@x.test"], since=101.0) == 2.0
    assert latency_after(arrivals, ["a@x.test"], since=101.0) == 0.0  # had it before: no wait
    assert latency_after(arrivals, ["a@x.test", "c@x.test"], since=101.0) is None


def test_every_severe_report_must_have_its_alert_queued_within_the_limit():
    assert alert_wait_check([0.1, 2.0], expected=2, limit=2.0) == Check(
        True, "alerts queued 2.0 s after the report at worst (limit 2 s)"
    )
    assert not alert_wait_check([0.1, 15.8], expected=2, limit=2.0).ok
    assert alert_wait_check([0.1, None], expected=2, limit=2.0) == Check(
        False, "1 of 2 severe reports had their alert queued"
    )
    assert not alert_wait_check([0.1], expected=2, limit=2.0).ok  # a report whose flag is missing


WORKER_LOG = """\
[2026-12-02 10:00:01,000: INFO/ForkPoolWorker-1] Task reactions.tasks.dispatch_due[1f-2a] succeeded in 5.21s: {}
[2026-12-02 10:00:02,000: INFO/ForkPoolWorker-2] Task reactions.tasks.send_flag_alert[3c] succeeded in 0.4s: {}
[2026-12-02 10:00:03,000: INFO/ForkPoolWorker-2] Task reactions.tasks.dispatch_due[4d] succeeded in 0.05s: {}
[2026-12-02 10:00:04,000: ERROR/MainProcess] Hard time limit (60s) exceeded for reactions.tasks.dispatch_due[5e]
billiard.exceptions.TimeLimitExceeded: TimeLimitExceeded(60,)
celery.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()
"""


def test_task_durations_and_time_limit_errors_come_from_the_worker_log():
    assert task_durations(WORKER_LOG) == [5.21, 0.05]
    assert task_durations(WORKER_LOG, "reactions.tasks.send_flag_alert") == [0.4]
    assert time_limit_errors(WORKER_LOG) == 3
    assert time_limit_errors("[...] Task reactions.tasks.dispatch_due[1] succeeded in 1.0s") == 0
