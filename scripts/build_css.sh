#!/usr/bin/env bash
# Rebuild static/vendor/bootstrap-5.3.9/bootstrap.purged.min.css: Bootstrap with only the rules that
# ivigtrack's templates, Python code, scripts and crispy-forms' templates use (232 KB -> ~47 KB,
# 9 KB compressed): less to download and, on a slow phone, much less CSS to parse and match.
# Run it after using a Bootstrap class that was not used before; tests/test_css.py says when.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
pkg() { "$PY" -c "import os, $1; print(os.path.dirname($1.__file__))"; }
CRISPY=$(pkg crispy_forms)
CRISPY_BS5=$(pkg crispy_bootstrap5)
VENDOR=static/vendor/bootstrap-5.3.9
OUT=$(mktemp -d)
# Classes built at run time (Django message levels, app.js's banner) are kept by pattern.
npx --yes purgecss@7.0.2 \
  --css "$VENDOR/bootstrap.min.css" \
  --content "templates/**/*.html" "reactions/**/*.py" "static/js/*.js" \
            "$CRISPY/templates/**/*.html" "$CRISPY/**/*.py" "$CRISPY_BS5/templates/**/*.html" "$CRISPY_BS5/**/*.py" \
  --safelist "/^alert-/" \
  --output "$OUT/"
mv "$OUT/bootstrap.min.css" "$VENDOR/bootstrap.purged.min.css"
rmdir "$OUT"
wc -c "$VENDOR/bootstrap.min.css" "$VENDOR/bootstrap.purged.min.css"
