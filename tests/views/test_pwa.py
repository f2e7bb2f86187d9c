"""The installable shell: manifest, service worker and offline page (the browser tests run them)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from reactions.views.pwa import SHELL_ASSETS

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_app_and_icons_that_exist():
    response = Client().get(reverse("manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "ivigtrack" and manifest["display"] == "standalone"
    assert manifest["start_url"] == reverse("home")
    icons = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= set(icons)
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_the_service_worker_is_served_from_the_root_fresh_on_every_visit():
    response = Client().get(reverse("service_worker"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]  # browsers pick up a new version at once
    assert reverse("service_worker") == "/sw.js"  # scope: the whole site
    body = response.content.decode()
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", body).group(1))
    assert shell[0] == reverse("offline")
    for asset in SHELL_ASSETS:
        assert finders.find(asset), asset
    assert len(shell) == len(SHELL_ASSETS) + 1


def test_the_service_worker_keeps_exactly_the_report_forms(patient, clinic):
    """Its URL patterns (JavaScript regexes) match the two report forms and nothing else."""
    from tests.factories import InfusionFactory

    body = Client().get(reverse("service_worker")).content.decode()
    patterns = re.search(r"var KEPT_FORMS = \[(.*?)\];", body).group(1)
    regexes = [re.compile(p.strip()[1:-1].replace(r"\/", "/")) for p in patterns.split(", ")]
    kept = [
        reverse("report_create", args=[InfusionFactory(patient=patient).pk]),
        reverse("followup_report", args=["a:b:c"]),
    ]
    not_kept = [
        reverse("infusion_create"),
        reverse("profile"),
        reverse("login"),
        reverse("followup_answer", args=["a:b:c"]),
    ]
    assert all(any(r.match(path) for r in regexes) for path in kept)
    assert not any(r.match(path) for r in regexes for path in not_kept)


def test_the_service_worker_never_caches_pages():
    body = Client().get(reverse("service_worker")).content.decode()
    # Navigations go to the network and fall back to the offline page; only the shell is cached.
    assert "fetch(request).catch(offlinePage)" in body
    assert "cache.put" not in body


def test_the_offline_page_holds_nobodys_data(patient_client, patient):
    html = patient_client.get(reverse("offline")).content.decode()
    assert "You are offline" in html and "emergency number" in html
    assert patient.full_name not in html and patient.email not in html
    assert "csrfmiddlewaretoken" not in html


def test_every_page_links_the_manifest_and_the_offline_script(patient_client):
    html = patient_client.get(reverse("home")).content.decode()
    assert f'rel="manifest" href="{reverse("manifest")}"' in html
    assert "js/app.js" in html and 'data-sw-url="/sw.js"' in html
    assert 'name="csrf-token"' in html


def test_the_report_form_is_kept_offline_and_says_so(patient_client, patient, clinic):
    from tests.factories import InfusionFactory

    html = patient_client.get(reverse("report_create", args=[InfusionFactory(patient=patient).pk])).content.decode()
    assert "data-outbox" in html and 'data-emergency-number="999"' in html
    assert f'data-urgent-number="{clinic.out_of_hours_phone}"' in html
    assert "data-outbox-emergency" in html and "call 999 now" in html
    assert "data-outbox-urgent" in html and f"call your clinic now on {clinic.out_of_hours_phone}" in html
