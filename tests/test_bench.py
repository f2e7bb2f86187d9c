"""The bench's own arithmetic (bench/): percentiles, pooled rounds, and which targets a run met.

The bench itself needs gunicorn, hey and minutes of load (`make bench`); what it concludes from its
measurements is checked here, so that a wrong sum cannot turn a miss into a pass.
"""

from __future__ import annotations

import math
from argparse import Namespace

import pytest

from bench import web
from bench.__main__ import _targets, format_table


def test_percentiles_interpolate_between_samples():
    values = [float(v) for v in range(1, 101)]
    assert web._percentile(values, 0.50) == 50.5
    assert web._percentile(values, 0.95) == pytest.approx(95.05)
    assert web._percentile([7.0], 0.99) == 7.0
    assert math.isnan(web._percentile([], 0.5))


def test_stats_of_the_times_pooled_over_the_rounds():
    # Two rounds' times, unsorted as they arrive; 2 s under load in all; one wrong status.
    stats = web._stats([30.0, 10.0, 40.0, 20.0], 2.0, 1)
    assert stats == {
        "requests": 4,
        "errors": 1,
        "p50_ms": 25.0,
        "p95_ms": 38.5,
        "p99_ms": 39.7,
        "mean_ms": 25.0,
        "throughput_rps": 2.0,
    }


def _row(page: str, kind: str, role: str, p50: float, p95: float) -> dict:
    return {
        "page": page,
        "kind": kind,
        "role": role,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p95 * 1.5,
        "throughput_rps": 100.0,
    }


def _scale(*, patient_page: tuple[float, float], slow: tuple[float, float], clinician_shell: float) -> list[dict]:
    return web.ratios(
        [
            _row("floor (trivial view)", web.FLOOR, "", 5.0, 8.0),
            _row("patient shell", web.SHELL, web.PATIENT, 6.0, 10.0),
            _row("patient page", web.PAGE, web.PATIENT, *patient_page),
            _row("clinician shell", web.SHELL, web.CLINICIAN, clinician_shell, 12.0),
            _row("slow page", web.PAGE, web.CLINICIAN, *slow),
        ]
    )


def _results() -> dict:
    return {
        "machine": {"cores": 2, "memory_gib": 24, "cpu": "Test CPU", "python": "3.11"},
        "settings": {"gunicorn_workers": 2, "concurrency": 2, "duration_s": 10.0},
        "generator": [],
        "web": {
            "1": _scale(patient_page=(15.0, 30.0), slow=(20.0, 30.0), clinician_shell=8.0),
            # The patient page: 3x its shell at p50, 4x at p95, 1.2x its p50 at 1x: all on the limit.
            # The slow page: cheap against the trivial floor's 5 ms, but over 3x and 4x its own shell.
            "100": _scale(patient_page=(18.0, 40.0), slow=(24.3, 48.2), clinician_shell=8.01),
        },
        "engine": {
            "dispatch": {"messages": 10, "seconds": 2.0, "throughput": 5.0, "x_floor": 0.5},
            "floor": {"messages": 10, "seconds": 1.0, "throughput": 10.0},
            "severe_alert": {"reports": 3, "p50_s": 0.05, "p95_s": 2.0, "max_s": 2.1},
        },
    }


def test_each_page_is_read_against_the_shell_of_its_own_role():
    rows = {row["page"]: row for row in _results()["web"]["100"]}
    assert (rows["patient page"]["p50_x_shell"], rows["patient page"]["p95_x_shell"]) == (3.0, 4.0)
    assert (rows["slow page"]["p50_x_shell"], rows["slow page"]["p95_x_shell"]) == (3.03, 4.02)
    assert rows["slow page"]["p50_x_floor"] == 4.86  # against the trivial floor: the shell's cost counted
    assert rows["clinician shell"]["p50_x_floor"] == 1.6
    # Floors are not read against a shell.
    assert all(rows[name]["p50_x_shell"] is None for name in ("floor (trivial view)", "patient shell"))


def test_targets_are_met_up_to_the_limit_and_missed_beyond_it():
    results = _results()
    checks = {check["target"]: check for check in _targets(results, Namespace(scales=[1, 100]))}
    met = {target for target, check in checks.items() if check["met"]}
    assert met == {
        "patient shell: p50 <= 1.6x trivial floor",
        "clinician shell: p50 <= 1.6x trivial floor",
        "patient page: p50 <= 3x patient shell",
        "patient page: p95 <= 4x patient shell",
        "floor (trivial view): p50 at 100x <= 1.2x p50 at 1x",
        "patient shell: p50 at 100x <= 1.2x p50 at 1x",
        "patient page: p50 at 100x <= 1.2x p50 at 1x",
        "clinician shell: p50 at 100x <= 1.2x p50 at 1x",
        "dispatcher >= 50% of SMTP floor throughput",
    }
    # Growth is the page's own p50 at the largest scale over its p50 at the smallest.
    assert checks["slow page: p50 at 100x <= 1.2x p50 at 1x"]["value"] == 1.22
    assert not checks["slow page: p50 <= 3x clinician shell"]["met"]
    assert not checks["slow page: p95 <= 4x clinician shell"]["met"]
    assert not checks["severe alert e-mail p95 < 2 s"]["met"]  # the limit is strict: 2.0 s misses
    # Two per shell (against the floor, growth), three per page (p50, p95, growth), one for the floor, two engine.
    assert len(checks) == 2 * 2 + 3 * 2 + 1 + 2


def test_the_table_shows_every_page_and_every_miss():
    results = _results()
    results["targets"] = _targets(results, Namespace(scales=[1, 100]))
    table = format_table(results)
    assert "| page | role | p50 ms | p95 ms | p99 ms | req/s | p50 × floor | p50 × shell | p95 × shell |" in table
    assert "| slow page | clinician | 24.3 | 48.2 | 72.3 | 100 | 4.86 | 3.03 | 4.02 | 20.0 | 24.3 | 1.22 |" in table
    assert "| floor (trivial view) | — | 5.0 | 8.0 | 12.0 | 100 | 1.00 |  |  | 5.0 | 5.0 | 1.00 |" in table
    assert "Targets: 9/13 met" in table
    assert "Load average" not in table  # a run that did not record it
    results["machine"].update(load_average_start=[3.1, 2.0, 1.0], load_average_end=[3.9, 3.0, 2.0])
    assert "Load average (1, 5, 15 min) on 2 cores: [3.1, 2.0, 1.0] at the start, [3.9, 3.0, 2.0] at the end" in (
        format_table(results)
    )
    assert "  [MISSED] severe alert e-mail p95 < 2 s: 2.0" in table
    assert "| dispatcher (Celery worker, 2 processes) | 10 | 2.00 | 5 | 0.50 |" in table


@pytest.fixture
def bench_urls(settings):
    """The bench's URLconf and the template of its empty pages, as bench/settings.py sets them."""
    settings.ROOT_URLCONF = "bench.urls"
    first = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {**first, "DIRS": [settings.BASE_DIR / "bench" / "templates", *first["DIRS"]]},
        *settings.TEMPLATES[1:],
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("bench_urls")
def test_each_roles_shell_is_an_empty_page_on_base_html_for_that_role_only(patient_client, clinician_client):
    patient_page = patient_client.get("/bench/shell/patient/")
    clinician_page = clinician_client.get("/bench/shell/clinician/")
    assert patient_page.status_code == clinician_page.status_code == 200
    for response in (patient_page, clinician_page):
        assert [t.name for t in response.templates[:2]] == ["bench/shell.html", "base.html"]
        html = response.content.decode()
        assert '<main id="main" class="container main">' in html and "<title>bench · ivigtrack</title>" in html
    # The clinician's shell has what every clinician page has: the navigation with the queue's count.
    assert "queue_count" in clinician_page.context and "queue_count" not in patient_page.context
    # Each behind its own role's check, as the pages it is a floor for.
    assert patient_client.get("/bench/shell/clinician/").status_code == 404
    assert clinician_client.get("/bench/shell/patient/").status_code == 404
    assert patient_client.get("/bench/floor/").content == b"ok"


@pytest.mark.django_db(transaction=True)  # the generator VACUUMs, which no transaction may hold
def test_the_generator_fills_a_clinic_that_every_constraint_accepts():
    """COPY names its columns: a NOT NULL field added to the app without the generator knowing broke
    `make bench` until this test (every new field with a default is now filled with it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("BENCH GENERATOR TEST SKIPPED: COPY needs PostgreSQL. Run with DATABASE_URL=postgres://…")
    from bench import generate
    from reactions.models import Clinic, User

    network = generate.grow_to(1)
    assert network.rows["Clinic"] == 1 and network.rows["FollowUp"] > 0
    clinic = Clinic.objects.get(name="Bench clinic 001")
    # The app's defaults, for the columns the generator does not name.
    assert clinic.message_sender_name == Clinic._meta.get_field("message_sender_name").get_default()
    patient = User.objects.filter(clinic=clinic, role=User.Role.PATIENT).first()
    assert patient.notify_email is True and patient.notify_sms is False
