"""The day-before check-in's rule: anything but "all well" is checked before infusing. Pure."""

from __future__ import annotations

import pytest

from reactions.domain.checkin import CheckInState, check_before_infusing, checkin_state


@pytest.mark.parametrize(
    ("answer", "due", "state", "check"),
    [
        ("all_well", True, CheckInState.ALL_WELL, False),
        ("changed", True, CheckInState.CHANGED, True),
        ("", True, CheckInState.NOT_ANSWERED, True),  # no answer is not "all well"
        ("", False, CheckInState.NOT_DUE, False),
    ],
)
def test_anything_but_all_well_is_checked_before_infusing(answer, due, state, check):
    assert checkin_state(answer=answer, due=due) == state
    assert check_before_infusing(state) is check


def test_a_prompts_answer_is_not_a_check_in_answer():
    with pytest.raises(ValueError):
        checkin_state(answer="no_symptoms", due=True)
