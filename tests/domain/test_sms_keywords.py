from __future__ import annotations

import pytest

from reactions.domain.sms_keywords import SmsKeyword, sms_keyword


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop. ", "STOPALL", "UNSUBSCRIBE", "cancel", "End", "QUIT", "PARAR", "parar!"]
)
def test_stop_words_stop(body):
    assert sms_keyword(body) == SmsKeyword.STOP


@pytest.mark.parametrize("body", ["START", "start", "UNSTOP", "yes", "ARRIBA", "¡Arriba!"])
def test_start_words_start(body):
    assert sms_keyword(body) == SmsKeyword.START


@pytest.mark.parametrize("body", ["", "stop the pain", "I feel fine", "please stop calling", "starting to feel ill"])
def test_a_keyword_must_be_the_whole_message(body):
    assert sms_keyword(body) is None
