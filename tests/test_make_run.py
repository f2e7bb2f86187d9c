"""`make run PORT=…`: the page is served on that port and every e-mail link points at it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT_SITE_URL = (
    "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'ivigtrack.settings'; django.setup(); "
    "from django.conf import settings; print(settings.SITE_URL)"
)


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "WEB_PORT", "PORT", "DJANGO_SETTINGS_MODULE")}
    return {**env, "VAR_DIR": str(tmp_path), **extra}


def _site_url(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SITE_URL], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _make_run_env(port: str) -> dict[str, str]:
    """The variables `make run PORT=…` hands to honcho, which passes them on to web, worker and beat."""
    result = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    (line,) = [line for line in result.stdout.splitlines() if "honcho start" in line]
    assignments = {}
    for word in shlex.split(line):
        name, equals, value = word.partition("=")
        if not equals or not name.isidentifier():
            break
        if name != "PATH":  # the venv first on the PATH: not what this test is about
            assignments[name] = value
    return assignments


def _procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.partition(":")[2].strip()
    raise AssertionError(f"no {name} in Procfile.dev")


def test_with_nothing_set_e_mail_links_point_at_the_default_port(tmp_path):
    assert _site_url(_clean_env(tmp_path)) == "http://127.0.0.1:8000"


def test_make_run_on_another_port_serves_there_and_the_e_mails_link_there(tmp_path):
    passed = _make_run_env("8123")
    # honcho gives each process a PORT of its own (the worker's is 100 more): the e-mails the worker and
    # beat write must not follow it.
    for honcho_port in ("8123", "8223", "8323"):
        assert _site_url(_clean_env(tmp_path, **passed, PORT=honcho_port)) == "http://127.0.0.1:8123"
    served = subprocess.run(
        ["sh", "-c", _procfile_command("web").replace("exec python manage.py runserver", "echo", 1)],
        env=_clean_env(tmp_path, **passed, PORT="5000"),
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert served.stdout.strip() == "127.0.0.1:8123"


def test_the_demo_seeds_its_emails_with_links_to_the_served_port():
    """seed_demo queues e-mails (the lot signal) before web, worker and beat start: it gets the port too."""
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    (line,) = [line for line in result.stdout.splitlines() if "seed_demo" in line]
    assert shlex.split(line)[0] == "WEB_PORT=8123"


def test_an_explicit_site_url_wins(tmp_path):
    env = _clean_env(tmp_path, **_make_run_env("8123"), SITE_URL="https://ivigtrack.example.org/")
    assert _site_url(env) == "https://ivigtrack.example.org"
