from __future__ import annotations

import pytest

from tests.twilio_api import TwilioApi


@pytest.fixture
def twilio_api():
    api = TwilioApi().start()
    yield api
    api.stop()
