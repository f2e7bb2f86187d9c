"""Every page, as each kind of user meets it on the demo data: each id once, each label on its own field.

Two forms on one page that both render ``id="id_note"`` make "Add a note" focus another form's box, and a
screen reader hears only "edit text" for the others. So the demo is seeded and every page reachable from
each role's start page is crawled (links followed, as a person clicks them), plus the pages reached from
an e-mail's signed link; a page that no crawl reached fails the test, so a new page is covered too.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from reactions import services
from reactions.models import FollowUp, Invitation, User
from tests.conftest import _client_for
from tests.factories import make_planned_infusion
from tests.views.test_permissions import EXPECTED

pytestmark = pytest.mark.django_db

LABELABLE = {"input", "select", "textarea", "button", "meter", "output", "progress"}
NOT_A_FIELD = {"hidden", "submit", "button", "reset", "image"}
MAX_PAGES_PER_ROLE = 250
# Pages that are not HTML, or that change something or sign out, or that need a POST.
NOT_CRAWLED = {"logout", "flag_action", "clinic_patient_update", "clinic_patient_phone", "report_red_flags"}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()
        self.tags: dict[str, tuple[str, dict[str, str]]] = {}
        self.labels_for: list[str] = []
        self.references: list[tuple[str, str]] = []
        self.fields: list[tuple[str, dict[str, str], bool]] = []
        self.links: list[str] = []
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] += 1
            self.tags.setdefault(a["id"], (tag, a))
        if tag == "label":
            self._label_depth += 1
            if "for" in a:
                self.labels_for.append(a["for"])
        for attribute in ("aria-labelledby", "aria-describedby", "aria-controls"):
            for target in a.get(attribute, "").split():
                self.references.append((attribute, target))
        if tag in ("input", "select", "textarea") and a.get("type", "") not in NOT_A_FIELD:
            self.fields.append((tag, a, self._label_depth > 0))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def markup_problems(html: str) -> list[str]:
    """What is wrong with the page's ids and labels, in words."""
    page = _Markup()
    page.feed(html)
    problems = [f'id="{i}" is used {n} times' for i, n in page.ids.items() if n > 1]
    for target in page.labels_for:
        if target not in page.ids:
            problems.append(f'<label for="{target}"> names no element')
        elif page.tags[target][0] not in LABELABLE or page.tags[target][1].get("type") == "hidden":
            problems.append(f'<label for="{target}"> names a <{page.tags[target][0]}>, not a field')
    for attribute, target in page.references:
        if target not in page.ids:
            problems.append(f'{attribute}="{target}" names no element')
    labelled = set(page.labels_for)
    for tag, a, wrapped in page.fields:
        if not (wrapped or a.get("id") in labelled or a.get("aria-label") or a.get("aria-labelledby")):
            problems.append(f"<{tag} name={a.get('name')!r} id={a.get('id')!r}> has no label")
    return problems


def test_the_check_finds_what_it_looks_for():
    page = (
        '<label for="id_note">Add a note</label><textarea id="id_note"></textarea>'
        '<textarea id="id_note" name="note"></textarea><label for="id_reason">Reason</label>'
        '<input name="q"><span aria-describedby="nothing"></span>'
    )
    assert sorted(markup_problems(page)) == sorted(
        [
            'id="id_note" is used 2 times',
            '<label for="id_reason"> names no element',
            'aria-describedby="nothing" names no element',
            "<input name='q' id=None> has no label",
        ]
    )
    assert markup_problems('<label>Search <input name="q"></label><label for="a">A</label><input id="a">') == []


def make_checkin(patient: User) -> FollowUp:
    """A day-before check-in sent to the patient: the demo plans no infusion for tomorrow."""
    infusion = make_planned_infusion(patient)
    checkin = infusion.followups.get(kind=FollowUp.Kind.PRE_INFUSION)
    FollowUp.objects.filter(pk=checkin.pk).update(status=FollowUp.Status.DONE)
    return checkin


def _crawl(
    client: Client,
    start: list[str],
    visited: dict[str, str],
    problems: dict[str, list[str]],
    role: str,
    seen: set[str] | None = None,
) -> None:
    queue = list(start)
    seen = set() if seen is None else seen
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen:
            continue
        try:
            name = resolve(path).url_name
        except Resolver404:
            continue
        if name in NOT_CRAWLED or path.startswith("/admin/"):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        visited.setdefault(name, url)
        found = markup_problems(html)
        if found:
            problems[f"{role} {url}"] = found
        page = _Markup()
        page.feed(html)
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            # Each list's first pages are enough: more pages of the same list show the same markup.
            if "page=" in parts.query and "page=2" not in parts.query:
                continue
            if link not in seen:
                queue.append(link)


def test_every_page_has_unique_ids_and_labels_that_name_their_fields(settings):
    settings.DEBUG = True  # seed_demo runs only with DEBUG on
    call_command("seed_demo", password="demo-pass-123", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False
    visited: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    users = {user.email: user for user in User.objects.filter(email__endswith="@demo.test")}
    # The admin sees every page a clinician sees (and more): the clinician's crawl adds only what is left.
    staff_seen: set[str] = set()
    for email, user in sorted(users.items()):
        start = [reverse("clinic_flags")] if user.is_clinic_staff else [reverse("home")]
        start += [reverse("password_change"), reverse("password_change_done"), reverse("two_factor_setup")]
        _crawl(_client_for(user), start, visited, problems, email, staff_seen if user.is_clinic_staff else None)

    # The second step of signing in, as a clinician with only the password so far.
    password_only = Client()
    password_only.force_login(users["clinician@demo.test"])
    _crawl(password_only, [reverse("two_factor_verify")], visited, problems, "password only")

    # Pages reached without an account, or from a link in an e-mail.
    patient = users["patient1@demo.test"]
    followup = FollowUp.objects.filter(patient=patient).first()
    checkin = make_checkin(patient)
    caregiver_invitation = services.caregivers.caregiver_invite(
        patient=patient, email="helper@example.test", full_name="Helper"
    )
    invitation = services.accounts.invitation_create(
        clinic=patient.clinic, email="new@example.test", full_name="New", role="patient", invited_by=patient
    )
    anonymous = [
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "invalid-token"]),
        reverse("password_reset_complete"),
        reverse("offline"),
        reverse("followup_answer", args=[services.links.followup_token(followup=followup)]),
        reverse("followup_report", args=[services.links.followup_token(followup=followup)]),
        reverse("checkin_answer", args=[services.links.checkin_token(followup=checkin)]),
        reverse(
            "caregiver_invitation_accept",
            args=[services.links.caregiver_invitation_token(invitation=caregiver_invitation)],
        ),
        reverse("email_preferences", args=[services.links.email_preferences_token(user=patient)]),
        reverse(
            "invitation_accept",
            args=[services.links.invitation_token(invitation=Invitation.objects.get(pk=invitation.pk))],
        ),
    ]
    _crawl(Client(), anonymous, visited, problems, "anonymous")
    enrol = Client()
    enrol.force_login(patient)
    link = reverse("two_factor_enrol_link", args=[services.links.two_factor_enrolment_token(user=patient)])
    _crawl(enrol, [link, reverse("checkin", args=[checkin.pk])], visited, problems, "patient1 set-up link")

    assert not problems, "\n".join(f"{page}: {'; '.join(found)}" for page, found in sorted(problems.items()))
    pages = {name for name, expected in EXPECTED.items() if 200 in expected} - NOT_CRAWLED
    not_html = {"my_data_json", "my_data_csv", "export_events_csv", "export_infusions_csv", "patient_fhir"}
    not_html |= {
        "clinic_response_times_csv",
        "clinic_prompt_response_csv",
        "clinic_audit_csv",
        "manifest",
        "service_worker",
        "health",
    }
    assert pages - not_html - set(visited) == set(), "pages no crawl reached: start a crawl where they are"
