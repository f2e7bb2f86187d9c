"""English and Spanish: pages follow the browser unless the profile says otherwise; e-mails follow the recipient.

Also keeps the Spanish catalogue honest: every message of the patient pages and e-mails is translated
(not fuzzy), and the checked-in .mo is compiled from the current .po.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation.template import templatize

from reactions import engine, services
from reactions.domain import catalogue
from reactions.emails import email_language
from reactions.models import Infusion, User
from tests.factories import ClinicianFactory, InfusionFactory, PatientFactory, clinic_for_engine_tests, make_report

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# What patients see: their pages, the sign-in and password pages, and every e-mail.
PATIENT_TEMPLATES = [
    "base.html",
    "_nav_links.html",
    "_pagination.html",
    "400.html",
    "403.html",
    "403_csrf.html",
    "404.html",
    "500.html",
    "reactions/_followup_prefs.html",
    "reactions/_symptom_row.html",
    "reactions/_urgent.html",
    "reactions/email_preferences.html",
    "reactions/followup_answer.html",
    "reactions/followup_done.html",
    "reactions/followup_reported.html",
    "reactions/infusion_confirm_delete.html",
    "reactions/infusion_detail.html",
    "reactions/infusion_form.html",
    "reactions/invitation_accept.html",
    "reactions/invitation_problem.html",
    "reactions/link_problem.html",
    "reactions/my_access_log.html",
    "reactions/my_deletion_request.html",
    "reactions/patient_home.html",
    "reactions/profile.html",
    "reactions/report_detail.html",
    "reactions/report_form.html",
    "reactions/summary.html",
    "reactions/_burden_chart.html",  # the burden chart, on the patient's summary
    "_connection_status.html",
    "pwa/offline.html",
    "reactions/_language_form.html",
    "reactions/clinic_account.html",  # a clinician's own page, in the language they choose there
    "reactions/_badges.html",  # report badges and symptom lists (and the clinicians' flag badges)
    # Clinicians' rows and cards, kept as fully translated as the badges they share a file with.
    "reactions/clinic_flags.html",
    "reactions/clinic_patient_detail.html",
    "reactions/_patient_reach.html",
    "reactions/_product_table.html",
]
PATIENT_TEMPLATE_DIRS = ["emails", "registration"]

pytestmark = pytest.mark.django_db


# --- Pages ----------------------------------------------------------------------------------------


def _get(client, url, browser="es"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    return response.content.decode()


def test_patient_home_in_spanish_from_the_browser(patient_client, patient):
    InfusionFactory(patient=patient)
    page = _get(patient_client, reverse("home"))
    assert '<html lang="es">' in page
    assert "Sus infusiones" in page and "Registrar una infusión" in page
    assert "Your infusions" not in page
    assert "ivigtrack no sustituye a los servicios de emergencia" in page


def test_the_browser_language_is_the_default_and_english_stays_the_fallback(patient_client):
    assert "Your infusions" in _get(patient_client, reverse("home"), browser="en")
    assert "Your infusions" in _get(patient_client, reverse("home"), browser="fr")  # not shipped: English


def test_infusion_form_in_spanish(patient_client):
    page = _get(patient_client, reverse("infusion_create"))
    assert "¿Esta infusión está prevista o ya se ha administrado?" in page
    assert "Guardar la infusión" in page and "Prevista" in page and "Domicilio" in page
    assert "Save infusion" not in page


def test_infusion_form_errors_in_spanish(patient_client):
    response = patient_client.post(
        reverse("infusion_create"),
        {
            "status": "given",
            "started_at": "2000-01-01T10:00",
            "product": "privigen",
            "setting": "clinic",
            "pre_hydrated": "False",
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "Esta fecha es de hace más de cinco años. Compruebe el año." in response.content.decode()


def test_reaction_form_in_spanish_with_the_symptom_catalogue(patient_client, patient):
    infusion = InfusionFactory(patient=patient)
    page = _get(patient_client, reverse("report_create", args=[infusion.pk]))
    assert "¿Tiene alguno de estos signos de alarma?" in page and "Signos que necesitan una ambulancia" in page
    assert "Dificultad para respirar, pitos al respirar o sensación de ahogo" in page  # a warning sign
    assert "Dolor de cabeza" in page and "Muy grave" in page and "De 1 a 6 horas después" in page
    assert "Trouble breathing" not in page


def test_every_symptom_label_has_a_spanish_translation():
    with translation.override("es"):
        spanish = {s.code: str(s.label) for s in catalogue.SYMPTOMS}
    with translation.override("en"):
        english = {s.code: str(s.label) for s in catalogue.SYMPTOMS}
    assert english["headache"] == "Headache" and spanish["headache"] == "Dolor de cabeza"
    assert [code for code in english if spanish[code] == english[code]] == []


def test_choice_labels_follow_the_language_of_each_request():
    """The same process serves one request in Spanish and the next in English: no label is kept from the first."""
    infusion = Infusion(setting=Infusion.Setting.HOME, product=Infusion.Product.OTHER, product_other="Hizentra")
    seen = []
    for language in ("es", "en", "es"):
        with translation.override(language):
            symptom = catalogue.get_translated("fever")
            seen.append((infusion.get_setting_display(), symptom.label, symptom.clinical_name))
    assert seen == [
        ("Domicilio", "Fiebre o sensación de calor", "Pirexia"),
        ("Home", "Fever or feeling hot", "Pyrexia"),
        ("Domicilio", "Fiebre o sensación de calor", "Pirexia"),
    ]
    assert infusion.product_name == "Hizentra"
    with translation.override("es"):
        assert Infusion.name_of_product(Infusion.Product.OTHER.value, "Hizentra") == "Hizentra"
        assert Infusion.name_of_product(Infusion.Product.PRIVIGEN.value, "") == "Privigen"
        assert Infusion.name_of_product("retired_brand", "") == "retired_brand"


def test_urgent_care_page_in_spanish(patient_client, patient):
    infusion = InfusionFactory(patient=patient)
    response = patient_client.post(
        reverse("report_create", args=[infusion.pk]),
        {
            "notes": "",
            "s_breathing_trouble": "on",
            "s_breathing_trouble_grade": "mild",
            "s_breathing_trouble_onset": "1_6h",
        },
        HTTP_ACCEPT_LANGUAGE="es",
        follow=True,
    )
    page = response.content.decode()
    # Trouble breathing: an emergency, with one number to call, the clinic's country's.
    assert "Llame ya al 999" in page and 'href="tel:999"' in page and 'role="alert"' in page
    assert f'href="tel:{patient.clinic.out_of_hours_phone}"' not in page
    assert "ivigtrack no sustituye a los servicios de emergencia" in page
    assert "Call 999 now" not in page


def test_the_profile_language_wins_over_the_browser(login, clinic):
    spanish = login(PatientFactory(clinic=clinic, language="es"))
    english = login(PatientFactory(clinic=clinic, language="en"))
    page = _get(spanish, reverse("home"), browser="en")
    assert '<html lang="es">' in page and "Sus infusiones" in page
    page = _get(english, reverse("home"), browser="es")
    assert '<html lang="en">' in page and "Your infusions" in page


def test_a_patient_chooses_their_language_in_the_profile(patient_client, patient):
    page = _get(patient_client, reverse("profile"), browser="en")
    assert "Browser&#x27;s language" in page or "Browser's language" in page
    assert "Español" in page
    response = patient_client.post(reverse("profile"), {"language": "es"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.language == "es"
    page = _get(patient_client, reverse("profile"), browser="en")
    assert "Su idioma se ha guardado." in page and "Su perfil" in page
    patient_client.post(reverse("profile"), {"language": ""})
    patient.refresh_from_db()
    assert patient.language == ""
    assert "Your profile" in _get(patient_client, reverse("profile"), browser="en")


def test_a_clinician_chooses_their_language_on_their_account_page(clinician_client, clinician):
    page = _get(clinician_client, reverse("clinic_flags"), browser="en")
    assert f'href="{reverse("clinic_account")}"' in page  # in the navigation
    page = _get(clinician_client, reverse("clinic_account"), browser="en")
    assert "Your account" in page and "Nora Nurse" in page and "Clinician" in page and "Español" in page
    response = clinician_client.post(reverse("clinic_account"), {"language": "es"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == reverse("clinic_account")
    clinician.refresh_from_db()
    assert clinician.language == "es"
    page = _get(clinician_client, reverse("clinic_account"), browser="en")
    assert '<html lang="es">' in page and "Su idioma se ha guardado." in page and "Su cuenta" in page
    assert "Eventos con alerta" in _get(clinician_client, reverse("clinic_flags"), browser="en")
    assert email_language(clinician) == "es"  # the severe-event alerts and digests they get, too
    clinician_client.post(reverse("clinic_account"), {"language": ""})
    assert "Flagged events" in _get(clinician_client, reverse("clinic_flags"), browser="en")


def test_a_clinician_cannot_save_an_unknown_language(clinician_client, clinician):
    response = clinician_client.post(reverse("clinic_account"), {"language": "xx"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    clinician.refresh_from_db()
    assert clinician.language == ""


def test_an_unknown_language_is_refused(patient_client, patient):
    response = patient_client.post(reverse("profile"), {"language": "xx"})
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.language == ""


def test_the_follow_up_choice_still_works_next_to_the_language_form(patient_client, patient):
    assert patient_client.post(reverse("profile"), {"choice": "pause"}).status_code == 302
    patient.refresh_from_db()
    assert patient.followup_state == "paused" and patient.language == ""


def test_no_language_prefix_in_urls(patient_client):
    assert reverse("home") == "/" or not reverse("home").startswith(("/es/", "/en/"))
    assert not reverse("profile").startswith(("/es/", "/en/"))


# --- E-mails ------------------------------------------------------------------------------------


def _spanish_date(value, fmt=r"j \d\e F", tz=None):
    with translation.override("es"):
        return dateformat.format(timezone.localtime(value, tz), fmt)


def test_a_follow_up_prompt_to_a_spanish_speaking_patient_is_in_spanish():
    clinic = clinic_for_engine_tests()
    patient = PatientFactory(clinic=clinic, language="es")
    now = timezone.now()
    infusion = services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="given",
        started_at=now - timedelta(hours=5),
        ended_at=now - timedelta(hours=2),
        product="privigen",
    )
    with translation.override("en"):  # whatever the worker's language, the patient's wins
        engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert message.subject == f"¿Cómo se encuentra desde el {_spanish_date(infusion.started_at, tz=patient.tzinfo)}?"
    assert "Sin síntomas nuevos" in message.body and "Comunicar síntomas" in message.body
    assert "ivigtrack no sustituye a los servicios de emergencia" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="es">' in html and "Sin síntomas nuevos" in html
    month = _spanish_date(infusion.started_at, "F", tz=patient.tzinfo)
    assert month in message.body  # the month's name is Spanish too


def test_a_patient_who_follows_the_browser_gets_english_emails():
    clinic = clinic_for_engine_tests()
    patient = PatientFactory(clinic=clinic)
    now = timezone.now()
    services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="given",
        started_at=now - timedelta(hours=5),
        ended_at=now - timedelta(hours=2),
        product="privigen",
    )
    with translation.override("es"):  # e.g. queued from a Spanish-speaking clinician's request
        engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    assert message.subject.startswith("How have you been since") and "No new symptoms" in message.body


def test_a_severe_event_of_a_spanish_speaking_patient(login):
    clinic = clinic_for_engine_tests()
    patient = PatientFactory(clinic=clinic, language="es", full_name="Lucía Pérez")
    spanish_nurse = ClinicianFactory(clinic=clinic, language="es")
    english_nurse = ClinicianFactory(clinic=clinic, language="en")
    infusion = InfusionFactory(patient=patient)
    # The patient's urgent-care page is Spanish even with an English browser...
    response = login(patient).post(
        reverse("report_create", args=[infusion.pk]),
        {
            "notes": "",
            "s_throat_swelling": "on",
            "s_throat_swelling_grade": "mild",
            "s_throat_swelling_onset": "during",
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Llame ya al 999" in response.content.decode()
    # ...and each clinician's alert is in that clinician's own language.
    engine.dispatcher.dispatch_due()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    spanish, english = by_recipient[spanish_nurse.email], by_recipient[english_nurse.email]
    assert spanish.subject == "Emergencia: se indicó a un paciente que llame a una ambulancia"
    assert "Lucía Pérez: un informe clasificado como «Emergencia»" in spanish.body
    assert english.subject == "Emergency: a patient was told to call an ambulance"
    assert 'Lucía Pérez: a report triaged as "Emergency"' in english.body


def test_a_severe_event_email_in_spanish_is_rendered_with_the_spanish_template():
    patient = PatientFactory(language="es")
    flag = make_report(infusion=InfusionFactory(patient=patient), symptoms=[("chest_pain", "mild")]).flags.get()
    from reactions.emails import render_email

    email = render_email(
        "severe-alert",
        {
            "recipient": patient,
            "patient": patient,
            "flag": flag,
            "url": "/x",
            "clinic": patient.clinic,
            "escalation": True,
            "round": 2,
        },
    )
    assert email.subject.startswith("ESCALADO (aviso 2):")
    assert "Nadie ha reconocido todavía este evento." in email.text


def test_the_day_before_check_in_in_spanish_names_the_day_in_spanish():
    clinic = clinic_for_engine_tests()
    patient = PatientFactory(clinic=clinic, language="es")
    start = timezone.now() + timedelta(hours=20)
    services.infusions.infusion_create(
        patient=patient,
        logged_by=patient,
        status="planned",
        started_at=start,
        ended_at=start + timedelta(hours=3),
        product="privigen",
    )
    engine.dispatcher.dispatch_due()
    (message,) = mail.outbox
    assert message.subject == "Una comprobación rápida antes de su próxima cita"
    assert _spanish_date(start, r"l j \d\e F", tz=patient.tzinfo) in message.body
    assert timezone.localtime(start, patient.tzinfo).strftime("%H:%M") in message.body


def test_password_reset_email_in_the_account_language(client, clinic):
    user = PatientFactory(clinic=clinic, language="es")
    client.post(reverse("password_reset"), {"email": user.email}, HTTP_ACCEPT_LANGUAGE="en")
    (message,) = mail.outbox
    assert message.subject == "Restablezca su contraseña"
    assert "Alguien ha pedido restablecer la contraseña" in message.body


# --- The catalogue ------------------------------------------------------------------------------


def _read_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgctxt, msgid, msgid_plural, msgstr[n], flags and references."""
    entries: list[dict] = []
    entry: dict | None = None
    field = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "refs": [], "msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": {}}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#:"):
            entry["refs"] += line[2:].split()
        elif line.startswith("#"):
            continue
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
            if match:
                keyword, index, value = match.group(1), match.group(2), ast.literal_eval(match.group(3))
                field = ("msgstr", int(index or 0)) if keyword.startswith("msgstr") else (keyword, None)
            else:
                value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] = entry["msgstr"].get(field[1], "") + value
            else:
                entry[field[0]] = (entry[field[0]] or "") + value
    return [e for e in entries if e["msgid"] and not e.get("obsolete")]


def _patient_template_paths() -> list[Path]:
    paths = [TEMPLATES / name for name in PATIENT_TEMPLATES]
    for directory in PATIENT_TEMPLATE_DIRS:
        paths += sorted(p for p in (TEMPLATES / directory).iterdir() if p.suffix in {".html", ".txt"})
    return paths


def _template_messages(path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every translatable string of a template, as makemessages sees them."""
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found: set[tuple[str | None, str]] = set()
    literal = r"u?'(?:[^'\\]|\\.)*'"
    for match in re.finditer(r"""\b_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""", source):
        found.add((None, ast.literal_eval(match.group(1))))  # a filter argument: date:_("j F Y")
    for match in re.finditer(rf"\b(n?p?gettext)\(\s*({literal})(?:\s*,\s*({literal}))?(?:\s*,\s*({literal}))?", source):
        kind, args = match.group(1), [ast.literal_eval(a) for a in match.groups()[1:] if a is not None]
        if kind == "gettext" or kind == "ngettext":
            found.add((None, args[0]))
        elif kind == "pgettext" or kind == "npgettext":
            found.add((args[0], args[1]))
    return found


def test_patient_templates_and_emails_are_fully_translated():
    entries = {(e["msgctxt"], e["msgid"]): e for e in _read_po(PO_FILE)}
    problems = []
    for path in _patient_template_paths():
        messages = _template_messages(path)
        assert messages, f"{path} has no translatable text"
        for key in sorted(messages, key=str):
            entry = entries.get(key)
            if entry is None:
                problems.append(f"{path.relative_to(TEMPLATES)}: {key[1]!r} is not in the .po (run makemessages)")
            elif "fuzzy" in entry["flags"] or not all(entry["msgstr"].values()) or not entry["msgstr"]:
                problems.append(f"{path.relative_to(TEMPLATES)}: {key[1]!r} is untranslated or fuzzy")
    assert problems == []


@pytest.mark.parametrize("module", ["charts.py"])
def test_the_chart_words_written_in_python_are_fully_translated(module):
    """charts.py writes the burden chart's description and bar titles, on the patient's summary and the
    clinician's timeline (the template holds the chart's other words)."""
    entries = {(e["msgctxt"], e["msgid"]): e for e in _read_po(PO_FILE)}
    source = (Path(settings.BASE_DIR) / "reactions" / module).read_text(encoding="utf-8")
    string = r'"(?:[^"\\]|\\.)*"'
    messages = {(None, ast.literal_eval(m)) for m in re.findall(rf"\b(?:_|ngettext)\(\s*({string})", source)}
    messages |= {
        (ast.literal_eval(c), ast.literal_eval(m))
        for c, m in re.findall(rf"\bpgettext\(\s*({string}),\s*({string})", source)
    }
    assert len(messages) > 10
    missing = sorted(m for m in messages if not all((entries.get(m) or {}).get("msgstr", {0: ""}).values()))
    assert missing == []


def test_no_patient_facing_message_is_untranslated_or_fuzzy():
    """Every entry used by templates, forms, the catalogue and the models: translated, and none fuzzy."""
    untranslated = [
        e["msgid"]
        for e in _read_po(PO_FILE)
        if "fuzzy" in e["flags"] or not e["msgstr"] or not all(e["msgstr"].values())
    ]
    assert untranslated == []


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)[sd]")
    wrong = []
    for e in _read_po(PO_FILE):
        source = set(placeholder.findall(e["msgid_plural"] or e["msgid"]))
        for text in e["msgstr"].values():
            if set(placeholder.findall(text)) != source:
                wrong.append((e["msgid"], text))
    assert wrong == []


def test_the_compiled_catalogue_is_not_stale(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed: cannot check that django.mo matches django.po")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check", "-o", str(fresh), str(PO_FILE)], check=True, capture_output=True)
    with fresh.open("rb") as new, MO_FILE.open("rb") as checked_in:
        expected, actual = gettext.GNUTranslations(new), gettext.GNUTranslations(checked_in)
    assert actual._catalog == expected._catalog, "locale/es/LC_MESSAGES/django.mo is stale: run compilemessages"


def test_language_choices_are_the_shipped_languages():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "es"]
    assert User._meta.get_field("language").choices == settings.LANGUAGES
