"""Web benchmark: gunicorn (two sync workers, bench.settings) on PostgreSQL, loaded with `hey`.

Each page is loaded by `hey -c CONCURRENCY` on loopback for DURATION seconds in all, in ROUNDS slices
taken in turn with the other pages', and its pooled per-request times (hey -o csv) give p50/p95/p99 and
throughput. Two kinds of floor from bench.urls, measured in the same rounds: the trivial floor (a
signed-in view that returns "ok", same server, settings and middleware), and for each role its shell
(an empty page on base.html). Each page is read against the shell of its own role, each shell against
the trivial floor.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench import stop_process
from reactions.models import Clinic, Infusion, User

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


FLOOR, SHELL, PAGE = "floor", "shell", "page"
PATIENT, CLINICIAN = "patient", "clinician"


@dataclass
class Page:
    name: str
    path: str
    cookie: str
    role: str  # whose pages: PATIENT or CLINICIAN ("" for the trivial floor)
    kind: str = PAGE  # FLOOR, SHELL (the empty page of its role) or PAGE
    method: str = "GET"
    body: str = ""
    expect: int = 200


def _session_cookie(user: User, *, staff: bool) -> str:
    """A signed-in session as django.contrib.auth.login makes it; staff have passed two-factor sign-in."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if staff:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
    else:
        store.set_expiry(settings.PATIENT_SESSION_IDLE_SECONDS)
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def pages() -> list[Page]:
    """The benchmarked pages, all in the first bench clinic (the same one at every scale)."""
    clinic = Clinic.objects.get(name="Bench clinic 001")
    patients = list(User.objects.filter(clinic=clinic, role=User.Role.PATIENT).order_by("pk")[:2])
    viewer, reporter = patients
    clinician = User.objects.filter(clinic=clinic, role=User.Role.CLINICIAN).order_by("pk").first()
    patient_cookie = _session_cookie(viewer, staff=False)
    staff_cookie = _session_cookie(clinician, staff=True)
    # Reports are posted by another patient, so the pages measured never grow during the run.
    csrf = secrets.token_hex(16)  # a 32-character CSRF secret: the cookie and the form field carry it
    reporter_cookie = f"{_session_cookie(reporter, staff=False)}; {settings.CSRF_COOKIE_NAME}={csrf}"
    infusion = Infusion.objects.filter(patient=reporter).order_by("-started_at").first()
    body = f"csrfmiddlewaretoken={csrf}&s_headache=on&s_headache_grade=mild&s_headache_onset=1_6h&notes=bench"
    report = f"/infusions/{infusion.pk}/report/"
    return [
        Page("floor (trivial view)", "/bench/floor/", patient_cookie, "", FLOOR),
        Page("patient shell (empty page)", "/bench/shell/patient/", patient_cookie, PATIENT, SHELL),
        Page("patient home", "/", patient_cookie, PATIENT),
        Page("infusion form", "/infusions/new/", patient_cookie, PATIENT),
        Page("report submission (POST)", report, reporter_cookie, PATIENT, method="POST", body=body, expect=302),
        Page("clinician shell (empty page)", "/bench/shell/clinician/", staff_cookie, CLINICIAN, SHELL),
        Page("triage queue", "/clinic/flags/", staff_cookie, CLINICIAN),
        Page("patient timeline", f"/clinic/patients/{viewer.pk}/", staff_cookie, CLINICIAN),
        Page("product/lot report", "/clinic/products/", staff_cookie, CLINICIAN),
    ]


class Server:
    """gunicorn with two sync workers, started and stopped by the bench."""

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.env, self.workers, self.proc = env, workers, None

    def __enter__(self) -> Server:
        self.log = open(ROOT / "var" / "bench" / "gunicorn.log", "w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
                "ivigtrack.wsgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=0.5).close()
                return self
            except OSError as error:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {self.log.name}") from error
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        stop_process(self.proc, grace=10)
        self.log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check(page: Page) -> None:
    """One request first: the page must answer as a signed-in user expects (not a login redirect)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{page.path}",
        method=page.method,
        data=page.body.encode() if page.body else None,
        headers={"Cookie": page.cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        status = opener.open(request, timeout=30).status
        location = ""
    except urllib.error.HTTPError as error:
        status, location = error.code, error.headers.get("Location", "")
    if status != page.expect or (page.expect == 302 and "/reports/" not in location):
        raise RuntimeError(
            f"{page.name}: {page.method} {page.path} answered {status} {location}, expected {page.expect}"
        )


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


ROUNDS = 5  # each page's load is cut into this many slices, taken in turn with every other page's


def _hey(page: Page, *, seconds: float, concurrency: int) -> tuple[list[float], float, int]:
    """One `hey` run against one page: its response times (ms), elapsed seconds, and wrong statuses."""
    url = f"http://127.0.0.1:{PORT}{page.path}"
    with tempfile.NamedTemporaryFile("w", suffix=".body", delete=False) as body_file:
        body_file.write(page.body)
    args = [
        "hey",
        "-c",
        str(concurrency),
        "-disable-redirects",
        "-o",
        "csv",
        "-H",
        f"Cookie: {page.cookie}",
        "-t",
        "30",
    ]
    if page.method == "POST":
        args += ["-m", "POST", "-T", "application/x-www-form-urlencoded", "-D", body_file.name]
    try:
        out = subprocess.run([*args, "-z", f"{seconds}s", url], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(body_file.name)
    times, errors, last = [], 0, 0.0
    for row in csv.DictReader(io.StringIO(out)):
        t = float(row["response-time"])
        times.append(t * 1000)
        last = max(last, float(row["offset"]) + t)
        if int(row["status-code"]) != page.expect:
            errors += 1
    return times, last, errors


def _stats(times: list[float], elapsed: float, errors: int) -> dict:
    """p50/p95/p99 (ms), mean and throughput (req/s) of a page's pooled response times."""
    times = sorted(times)
    return {
        "requests": len(times),
        "errors": errors,
        "p50_ms": round(_percentile(times, 0.50), 2),
        "p95_ms": round(_percentile(times, 0.95), 2),
        "p99_ms": round(_percentile(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2) if times else None,
        "throughput_rps": round(len(times) / elapsed, 1) if elapsed else 0.0,
    }


def ratios(results: list[dict]) -> list[dict]:
    """Each row's p50 and p95 over the trivial floor's, and over its own role's shell (pages only)."""
    floor = next(row for row in results if row["kind"] == FLOOR)
    shells = {row["role"]: row for row in results if row["kind"] == SHELL}
    for row in results:
        row["p50_x_floor"] = round(row["p50_ms"] / floor["p50_ms"], 2)
        row["p95_x_floor"] = round(row["p95_ms"] / floor["p95_ms"], 2)
        shell = shells.get(row["role"]) if row["kind"] == PAGE else None
        row["p50_x_shell"] = round(row["p50_ms"] / shell["p50_ms"], 2) if shell else None
        row["p95_x_shell"] = round(row["p95_ms"] / shell["p95_ms"], 2) if shell else None
    return results


def run(*, env: dict[str, str], duration: float, concurrency: int, log=print) -> list[dict]:
    """Load every page (the floor first) for `duration` seconds in all, under `hey -c concurrency`.

    The load is taken in ROUNDS rounds, each page in turn for duration/ROUNDS seconds, and each page's
    times are pooled over the rounds. A shared virtual machine speeds up and slows down by 10-15% over a
    minute; measured in one block at the start, the floor caught whatever moment that was, and every
    ratio with it. Taken in turn, the floor and the pages see the same moments.
    """
    measured = pages()
    pooled = {page.name: ([], 0.0, 0) for page in measured}
    with Server(env):
        for page in measured:
            check(page)
            _hey(page, seconds=1.5, concurrency=concurrency)  # warm both workers on this page
        for _round in range(ROUNDS):
            for page in measured:
                times, elapsed, errors = _hey(page, seconds=duration / ROUNDS, concurrency=concurrency)
                all_times, all_elapsed, all_errors = pooled[page.name]
                pooled[page.name] = (all_times + times, all_elapsed + elapsed, all_errors + errors)
    results = []
    for page in measured:
        stats = _stats(*pooled[page.name])
        stats["page"] = page.name
        stats["role"] = page.role
        stats["kind"] = page.kind
        stats["method"] = page.method
        results.append(stats)
        log(
            f"    {page.name:28} p50 {stats['p50_ms']:7.2f} ms  p95 {stats['p95_ms']:7.2f}  "
            f"p99 {stats['p99_ms']:7.2f}  {stats['throughput_rps']:7.1f} req/s  errors {stats['errors']}"
        )
    return ratios(results)
