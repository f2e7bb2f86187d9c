"""Clinic settings: the name the clinic's texts and notifications start with."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from reactions.forms.clinic import ClinicSettingsForm
from reactions.models import Clinic
from tests.factories import ClinicAdminFactory, ClinicFactory

pytestmark = pytest.mark.django_db


def _posted(clinic: Clinic, **changes: str) -> dict[str, object]:
    """What the settings page posts back unchanged, with `changes`."""
    form = ClinicSettingsForm(instance=clinic)
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        open_days=clinic.open_days,
        followup_offsets=form.fields["followup_offsets"].initial,
        opens_at="08:00",
        closes_at="18:00",
        quiet_hours_start="22:00",
        quiet_hours_end="08:00",
        daily_reminder_at="08:00",
        **changes,
    )
    return data


def test_a_new_clinic_signs_its_messages_ivigtrack_until_an_admin_chooses():
    clinic = ClinicFactory()
    assert clinic.message_sender_name == "ivigtrack"
    assert ClinicSettingsForm(instance=clinic).initial["message_sender_name"] == "ivigtrack"


def test_the_admin_chooses_the_name_on_the_settings_page(clinic, login):
    client = login(ClinicAdminFactory(clinic=clinic))
    page = unescape(client.get(reverse("clinic_settings")).content.decode())
    assert "Name on texts and notifications" in page
    assert "say nothing about the treatment or the illness, e.g. “Riverside clinic”" in page

    response = client.post(reverse("clinic_settings"), _posted(clinic, message_sender_name="  Riverside  clinic "))
    assert response.status_code == 302, response.context["form"].errors
    clinic.refresh_from_db()
    assert clinic.message_sender_name == "Riverside clinic"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("Riverside Neurology MS", "Ensure this value has at most 20 characters (it has 22)."),
        ("Riverside clinic €€", "Keep it to 20 characters at most"),
        ("Clínica Ribera", "Texts cannot carry “í” without being split into several"),
        ("St Mary’s 🙂", "Texts cannot carry “’” “🙂”"),
    ],
)
def test_a_name_that_would_not_keep_every_text_one_sms_is_refused_next_to_the_field(clinic, name, error):
    form = ClinicSettingsForm(_posted(clinic, message_sender_name=name), instance=clinic)
    assert not form.is_valid()
    assert set(form.errors) == {"message_sender_name"}
    assert error in form.errors["message_sender_name"][0]
    clinic.refresh_from_db()
    assert clinic.message_sender_name == "ivigtrack"


def test_the_settings_page_says_what_equal_quiet_hours_mean(clinic, login):
    # The demo's clinic has both at 00:00, which a browser shows as "12:00 AM" twice.
    page = login(ClinicAdminFactory(clinic=clinic)).get(reverse("clinic_settings")).content.decode()
    assert "The same time as the start: no quiet hours, prompts go at any hour." in page
