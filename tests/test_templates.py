"""The badges, lists, rows and cards of the busy pages (templates/reactions/_badges.html and the partials
of the queue, the timeline, the home page and the product table): right words, escaped values,
translated, dates in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from reactions import selectors, services
from reactions.models import Flag, FlagEvent, FollowUp, ReactionReport, ReportReclassification
from tests.factories import InfusionFactory, make_report, make_severe_flag

pytestmark = pytest.mark.django_db


def _render(name: str, **context) -> str:
    return render_to_string(name, context)


def _with_symptoms(report: ReactionReport) -> ReactionReport:
    report.symptom_list = list(report.symptoms.order_by("pk"))
    return report


def _queue_row(flag: Flag) -> str:
    return _render("reactions/clinic_flags.html#queue-row", flag=flag).strip()


def test_report_badge_says_how_serious_the_report_is():
    severe = make_report(symptoms=[("breathing_trouble", "severe")])
    review = make_report(symptoms=[("headache", "severe")])
    mild = make_report(symptoms=[("headache", "mild")])
    badge = "reactions/_badges.html#report-badge"
    html = _render(badge, report=severe)
    assert "badge-severe" in html and "⚠ Emergency" in html
    assert _render(badge, report=review) == '<span class="badge badge-review">● For review</span>'
    assert _render(badge, report=mild) == '<span class="badge badge-mild">Mild</span>'
    with translation.override("es"):
        assert "⚠ Emergencia" in _render(badge, report=severe)


def test_symptom_list_for_clinicians_names_both_and_marks_warning_signs():
    report = make_report(symptoms=[("breathing_trouble", "severe"), ("headache", "mild")])
    html = _render("reactions/_badges.html#symptom-list", symptoms=report.symptoms.order_by("pk"), clinical=True)
    warning, plain = html.split("</li>")[:2]
    # The clinical name, then the patient's words when they differ; warning signs bold with ⚠.
    assert (
        '<strong>⚠ Bronchospasm / dyspnoea <span class="text-body-secondary">'
        "(Trouble breathing, wheezing or gasping)</span></strong> — severe, during the infusion" in warning
    )
    assert plain.strip() == "<li>Headache — mild, during the infusion"  # same words: named once
    assert _render("reactions/_badges.html#symptom-list", symptoms=[], clinical=True) == ""


def test_symptom_list_for_patients_in_their_words_and_still_going_on():
    infusion = InfusionFactory()
    entries = [services.reports.SymptomEntry("breathing_trouble", "severe", "during", ongoing=True)]
    report = services.reports.report_create(infusion=infusion, symptoms=entries)
    html = _render("reactions/_badges.html#symptom-list", symptoms=report.symptoms.all())
    assert (
        "<strong>⚠ Trouble breathing, wheezing or gasping</strong> — severe, during the infusion, still going on</li>"
        in html
    )
    assert "Bronchospasm" not in html


def test_symptom_list_in_spanish():
    report = make_report(symptoms=[("headache", "moderate")])
    with translation.override("es"):
        html = _render("reactions/_badges.html#symptom-list", symptoms=report.symptoms.all())
    assert "Dolor de cabeza" in html and "moderado" in html


def test_values_from_the_database_are_escaped_and_our_markup_is_kept():
    report = make_report(symptoms=[("chest_pain", "severe")])
    flag = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    report.clinician_level = "<script>alert(1)</script>"
    flag.report = _with_symptoms(report)
    html = _render("reactions/_badges.html#flag-summary", flag=flag)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Reclassified by clinician as <strong>" in html
    assert "<strong>⚠ Chest pain (suspected MI or PE)</strong> (severe, during the infusion)" in html


def test_flag_summary_of_a_flag_without_a_report():
    infusion = InfusionFactory()
    patient = infusion.patient
    services.infusions.vitals_record(
        infusion=infusion,
        by=patient,
        phase="start",
        recorded_at=infusion.started_at,
        systolic=190,
        diastolic=90,
        pulse=130,
    )
    vitals_flag = Flag.objects.get(vitals__infusion=infusion)
    html = _render("reactions/_badges.html#flag-summary", flag=vitals_flag).strip()
    assert html == "Vitals outside the safe range (start): BP 190/90 · pulse 130"
    followup = FollowUp.objects.create(
        infusion=infusion,
        patient=patient,
        offset_hours=24,
        due_at=infusion.started_at,
        status=FollowUp.Status.UNDELIVERABLE,
    )
    unreachable = Flag.objects.create(
        clinic=patient.clinic,
        patient=patient,
        kind=Flag.Kind.UNREACHABLE,
        followup=followup,
        reason="Mailbox <full> & gone",
    )
    html = _render("reactions/_badges.html#flag-summary", flag=unreachable).strip()
    assert html == "Cannot reach the patient: Mailbox &lt;full&gt; &amp; gone"
    silent = Flag(clinic=patient.clinic, patient=patient, kind=Flag.Kind.NO_RESPONSE, followup=followup)
    html = _render("reactions/_badges.html#flag-summary", flag=silent).strip()
    assert html == "No answer to the +24 h follow-up prompt"


def test_flag_badges_name_the_kind_and_the_state():
    flag = make_severe_flag(infusion=InfusionFactory())
    assert "⚠ Emergency" in _render("reactions/_badges.html#flag-badges", flag=flag)
    flag.status, flag.outcome = Flag.Status.CLOSED, Flag.Outcome.HOSPITALISED
    html = _render("reactions/_badges.html#flag-badges", flag=flag)
    assert '<span class="badge badge-mild">Closed: Hospitalised</span>' in html
    flag.status = Flag.Status.ACKNOWLEDGED
    with translation.override("es"):
        assert "✓ " in _render("reactions/_badges.html#flag-badges", flag=flag)


def test_a_snoozed_flag_shows_the_date_in_the_current_time_zone():
    flag = make_severe_flag(infusion=InfusionFactory())
    flag.snoozed_until = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with timezone.override("Pacific/Auckland"):  # already 2 March there
        assert "Snoozed to 2 Mar" in _render("reactions/_badges.html#flag-badges", flag=flag)
    with timezone.override("America/New_York"):
        assert "Snoozed to 1 Mar" in _render("reactions/_badges.html#flag-badges", flag=flag)
    with translation.override("es"), timezone.override("Pacific/Auckland"):
        assert "Pospuesto hasta el 2 Mar" in _render("reactions/_badges.html#flag-badges", flag=flag)


def test_product_rows_show_counts_and_rounded_rates_and_escape_names():
    rows = [
        {
            "product_name": "<b>Home-made IVIG</b>",
            "lot_number": "",
            "infusions": 3,
            "patients": 2,
            "mild": 1,
            "mild_rate": 1 / 3,
            "severe": 2,
            "severe_rate": 2 / 3,
        },
        {
            "product_name": "Privigen",
            "lot_number": "P123",
            "infusions": 8,
            "patients": 5,
            "mild": 1,
            "mild_rate": 1 / 8,
            "severe": 0,
            "severe_rate": 0.0,
        },
    ]
    html = _render("reactions/_product_table.html", rows=rows, show_lot=True)
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    first, second = body.split("</tr>")[:2]
    assert first == (
        "<tr><td>&lt;b&gt;Home-made IVIG&lt;/b&gt;</td><td>(not recorded)</td><td>3</td><td>2</td>"
        "<td>1 (33%)</td><td><strong>2 (67%)</strong></td>"
    )
    assert second == "<tr><td>Privigen</td><td>P123</td><td>8</td><td>5</td><td>1 (12%)</td><td>0</td>"
    assert "<td>P123</td>" not in _render("reactions/_product_table.html", rows=rows, show_lot=False)  # no lot column
    with translation.override("es"):
        assert "(no registrado)" in _render("reactions/_product_table.html", rows=rows, show_lot=True)


def test_queue_row_names_the_patient_the_infusion_and_who_handles_it(clinician):
    infusion = InfusionFactory(patient__full_name="<i>Ann</i> O'Neil", lot_number="A1<2")
    [flag] = selectors.triage_queue.queue_details([make_severe_flag(infusion=infusion)])
    html = _queue_row(flag)
    assert html.startswith('<tr class="flag-severe">') and f'href="/clinic/flags/{flag.pk}/"' in html
    assert "&lt;i&gt;Ann&lt;/i&gt; O&#x27;Neil" in html and "lot A1&lt;2" in html
    assert "<strong>not yet</strong>" in html and '<time datetime="' in html
    assert "<strong>⚠ Bronchospasm / dyspnoea</strong> (severe, during the infusion)" in html
    flag.acknowledged_by = flag.assigned_to = clinician
    assert f"✓ {clinician.full_name}" in _queue_row(flag) and f"→ {clinician.full_name}" in _queue_row(flag)
    with translation.override("es"):
        assert "lote A1&lt;2" in _queue_row(flag)


def test_report_line_on_the_home_page_in_the_patients_words():
    report = _with_symptoms(make_report(symptoms=[("headache", "moderate"), ("breathing_trouble", "severe")]))
    html = _render("reactions/patient_home.html#report-line", report=report)
    assert f'href="/reports/{report.pk}/"' in html and "Reported " in html
    assert html.endswith(": Headache (moderate), Trouble breathing, wheezing or gasping (severe)</span></a>")
    report.symptom_list = []
    assert _render("reactions/patient_home.html#report-line", report=report).endswith(": notes only</span></a>")
    with translation.override("es"):
        assert _render("reactions/patient_home.html#report-line", report=report).endswith(": solo notas</span></a>")


def _timeline_report(report: ReactionReport) -> ReactionReport:
    """The report as the timeline page loads it (selectors.timeline.timeline_details)."""
    infusions = selectors.timeline.patient_timeline(patient=report.patient).filter(pk=report.infusion_id)
    [infusion] = selectors.timeline.timeline_details(infusions)
    return next(r for r in infusion.report_list if r.pk == report.pk)


def test_the_timeline_card_escapes_notes_reasons_and_names(clinician, clinician_client):
    infusion = InfusionFactory(patient__clinic=clinician.clinic)
    report = make_report(infusion=infusion, symptoms=[("chest_pain", "severe")], notes='<script>x</script> & "q"')
    services.reports.report_reclassify(report=report, by=clinician, to_level="mild", reason="Seen <u>today</u>")
    flag = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    services.triage.flag_add_note(flag=flag, by=clinician, note="Called <her>")
    page = clinician_client.get(reverse("clinic_patient_detail", args=[infusion.patient.pk])).content.decode()
    card = page.split(f'<div class="card my-2" id="report-{report.pk}">')[1].split("</div></div>")[0]
    assert "“&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;”" in card and "<script>x" not in card
    assert "Reclassified Severe event → Mild / expected by " in card and ": Seen &lt;u&gt;today&lt;/u&gt;</div>" in card
    assert '<span class="badge badge-mild">Clinician: Mild / expected</span>' in card
    assert f'<a href="/clinic/flags/{flag.pk}/">Severe event</a>: ' in card and ": Called &lt;her&gt;</div>" in card
    # Each report links to its own reclassify page (one form per page, not one per card).
    assert f'href="/clinic/reports/{report.pk}/reclassify/">Reclassify this report</a>' in card


def test_the_timeline_card_in_spanish(clinician):
    report = make_report(symptoms=[("headache", "severe")])
    services.reports.report_reclassify(report=report, by=clinician, to_level="mild", reason="ok")
    with translation.override("es"):
        html = _render("reactions/clinic_patient_detail.html#timeline-card", report=_timeline_report(report))
    assert "● Para revisar" in html and "Clínico: Leve / esperado" in html


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/New_York"])
def test_dates_on_the_rows_are_in_the_viewers_time_zone_and_language(language, zone):
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    infusion = InfusionFactory(started_at=moment)
    report = make_report(infusion=infusion, symptoms=[("breathing_trouble", "severe")])
    ReactionReport.objects.filter(pk=report.pk).update(created_at=moment)
    flag = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    Flag.objects.filter(pk=flag.pk).update(created_at=moment)
    flag.refresh_from_db()
    report = _timeline_report(report)
    with translation.override(language), timezone.override(zone):
        local = timezone.localtime(moment)
        card = _render("reactions/clinic_patient_detail.html#timeline-card", report=report)
        line = _render("reactions/patient_home.html#report-line", report=report)
        row = _queue_row(selectors.triage_queue.queue_details([flag])[0])
        assert date_format(local, "j M Y, H:i") in card
        assert date_format(local, "j M, H:i") + ":" in line
        assert f'<td class="text-nowrap">{date_format(local, "j M")} · Privigen' in row
        assert f'<time datetime="{local.isoformat()}">' in row
    with translation.override("es"), timezone.override("UTC"):
        ReportReclassification.objects.create(
            report_id=report.pk,
            from_level="severe",
            to_level="mild",
            reason="r",
            created_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
        )
        services.versions.touch(report_id=report.pk)  # written past the services: touch as they do
        assert "5 Ene 2026" in _render(
            "reactions/clinic_patient_detail.html#timeline-card", report=_timeline_report(report)
        )


def test_a_flags_history_on_the_timeline_shows_only_notes_and_closing(clinician):
    report = make_report(symptoms=[("chest_pain", "severe")])
    flag = report.flags.get(kind=Flag.Kind.SEVERE_EVENT)
    services.triage.flag_acknowledge(flag=flag, by=clinician, note="seen")
    services.triage.flag_close(flag=flag, by=clinician, outcome=Flag.Outcome.RESOLVED, note="Fine now")
    assert flag.events.filter(action=FlagEvent.Action.ACKNOWLEDGED).exists()
    html = _render("reactions/clinic_patient_detail.html#timeline-card", report=_timeline_report(report))
    assert "Severe event</a>: closed — Resolved<br>· " in html and ": Resolved. Fine now</div>" in html
    assert ": seen" not in html
