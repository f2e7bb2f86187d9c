"""Settings for the benchmark server and worker: production-like (DEBUG off), loopback only.

The project's own settings, plus a URLconf with the floors (a trivial view, and an empty page on
base.html for each role) that the project's URLconf must not have (tests enumerate every project URL),
and the template of those empty pages.
"""

import os

# Read by ivigtrack.settings at import time: production mode with a bench-only key.
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-never-used-in-production-9f3c1a7e5b2d4c6a8e0f")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")  # plain HTTP on loopback, no TLS proxy in front
os.environ.setdefault("LOG_LEVEL", "WARNING")

from ivigtrack.settings import *  # noqa: F403
from ivigtrack.settings import BASE_DIR, TEMPLATES, VAR_DIR

ROOT_URLCONF = "bench.urls"
# The empty pages' template (bench/templates/bench/shell.html), looked up before the project's.
TEMPLATES = [{**TEMPLATES[0], "DIRS": [BASE_DIR / "bench" / "templates", *TEMPLATES[0]["DIRS"]]}, *TEMPLATES[1:]]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SITE_URL = "http://127.0.0.1:8765"
# collectstatic output of the bench (whitenoise's manifest storage needs it with DEBUG off).
STATIC_ROOT = VAR_DIR / "bench" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
