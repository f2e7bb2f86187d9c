"""The day-before check-in: sent once, answered in one tap (never by a GET), stored with what changed."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reactions import engine, services
from reactions.models import FollowUp, OutboundEmail
from tests.factories import InfusionFactory, PatientFactory, clinic_for_engine_tests, make_planned_infusion

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(clinic=clinic_for_engine_tests(phone="020 7946 0001", out_of_hours_phone="020 7946 0999"))


def _checkin(infusion) -> FollowUp:
    return infusion.followups.get(kind=FollowUp.Kind.PRE_INFUSION)


def _link(body: str) -> str:
    return re.search(r"https?://\S+/c/[^\s/]+/", body).group(0)


def test_the_check_in_asks_about_symptoms_infection_and_fever_with_one_link_and_the_clinics_lines(patient):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    assert "Any new symptoms, infection or fever since last time?" in message.body
    assert "All well: http" in message.body and "Something has changed: http" in message.body
    assert "020 7946 0001" in message.body and "Out of hours: 020 7946 0999" in message.body
    assert "drink plenty of fluids" in message.body.lower()
    assert _checkin(infusion).status == FollowUp.Status.DONE
    engine.dispatcher.dispatch_due()
    assert len(mail.outbox) == 1  # once


def test_opening_the_link_records_nothing_and_one_tap_records_all_well(patient):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    url = _link(mail.outbox[0].body).removeprefix("http://testserver")
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and "Any new symptoms, infection or fever" in page.content.decode()
    assert _checkin(infusion).answer == ""  # a mail scanner's GET changes nothing
    done = client.post(url, {"answer": "all_well"})
    assert "noted: all well" in done.content.decode()
    checkin = _checkin(infusion)
    assert (checkin.status, checkin.answer) == (FollowUp.Status.ANSWERED, FollowUp.Answer.ALL_WELL)
    assert checkin.answered_at is not None


def test_something_has_changed_keeps_what_changed_and_the_note(patient):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    url = _link(mail.outbox[0].body).removeprefix("http://testserver")
    response = Client().post(url, {"answer": "changed", "changes": ["infection", "fever"], "note": "Chest cold"})
    assert "will check with you before the infusion" in response.content.decode()
    checkin = _checkin(infusion)
    assert checkin.answer == FollowUp.Answer.CHANGED
    assert (checkin.changed_infection, checkin.changed_fever, checkin.changed_new_symptoms) == (True, True, False)
    assert checkin.changes == ["An infection", "A fever"] and checkin.answer_note == "Chest cold"


def test_something_has_changed_is_one_tap_too(patient):
    infusion = make_planned_infusion(patient)
    checkin = _checkin(infusion)
    assert services.checkins.checkin_answer(followup=checkin, answer="changed")
    assert checkin.answer == FollowUp.Answer.CHANGED and checkin.changes == []


def test_all_well_with_a_change_ticked_is_asked_again_not_guessed(patient):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.dispatch_due()
    url = _link(mail.outbox[0].body).removeprefix("http://testserver")
    response = Client().post(url, {"answer": "all_well", "changes": ["fever"]})
    assert response.status_code == 400
    assert _checkin(infusion).answer == ""


def test_a_prompts_link_cannot_answer_a_check_in(patient):
    infusion = make_planned_infusion(patient)
    token = services.links.followup_token(followup=_checkin(infusion))  # signed for prompts, not check-ins
    assert Client().get(reverse("checkin_answer", args=[token])).status_code == 400


def test_answered_in_the_app_before_it_went_out_the_e_mail_is_not_sent(patient):
    infusion = make_planned_infusion(patient)
    assert services.checkins.checkin_answer(followup=_checkin(infusion), answer="all_well")
    engine.dispatcher.dispatch_due()
    assert mail.outbox == []


def test_answered_in_the_app_after_it_was_queued_the_unsent_e_mail_is_dropped(patient):
    infusion = make_planned_infusion(patient)
    engine.dispatcher.followups_queue_due(now=timezone.now())
    email = OutboundEmail.objects.get(followup=_checkin(infusion))
    services.checkins.checkin_answer(followup=_checkin(infusion), answer="changed")
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.CANCELLED


def test_a_check_in_is_answered_from_its_time_until_the_infusion_starts(patient):
    later = make_planned_infusion(patient, in_hours=24 * 5)
    assert not services.checkins.checkin_answer(followup=_checkin(later), answer="all_well")  # not yet asked
    infusion = make_planned_infusion(patient)
    checkin = _checkin(infusion)
    assert not services.checkins.checkin_answer(followup=checkin, answer="all_well", now=infusion.started_at)
    assert services.checkins.checkin_answer(followup=checkin, answer="all_well")
    # A later answer replaces it: something changed after "all well".
    assert services.checkins.checkin_answer(followup=checkin, answer="changed", changes=["fever"])
    assert checkin.answer == FollowUp.Answer.CHANGED and checkin.changed_fever


def test_the_database_keeps_each_kind_to_its_own_answers(patient):
    prompt = FollowUp.objects.create(
        infusion=InfusionFactory(patient=patient), patient=patient, offset_hours=2, due_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=prompt.pk).update(answer="all_well")
    checkin = _checkin(make_planned_infusion(patient))
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=checkin.pk).update(answer="no_symptoms")
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=checkin.pk).update(answer="all_well", changed_fever=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=checkin.pk).update(answer="", answer_note="hello")


def test_the_check_in_link_expires_like_a_prompts(patient, settings):
    infusion = make_planned_infusion(patient)
    token = services.links.checkin_token(followup=_checkin(infusion))
    settings.FOLLOWUP_LINK_MAX_AGE = -1
    response = Client().get(reverse("checkin_answer", args=[token]))
    assert response.status_code == 400


def test_the_patients_own_data_holds_their_check_in_answer(patient):
    infusion = make_planned_infusion(patient)
    services.checkins.checkin_answer(followup=_checkin(infusion), answer="changed", changes=["fever"], note="38.2")
    client = Client()
    client.force_login(patient)
    data = client.get(reverse("my_data_json")).json()
    (followup,) = [f for i in data["infusions"] for f in i["followups"] if f["kind"] == "pre_infusion"]
    assert (followup["answer"], followup["what_changed"], followup["note"]) == ("changed", ["fever"], "38.2")
    csv_text = client.get(reverse("my_data_csv")).content.decode()
    assert "pre_infusion" in csv_text and "changed,fever,38.2" in csv_text
