#!/usr/bin/env bash
# Scan the running app on loopback with Debian's wapiti (DAST), signed in as a demo patient
# and as the demo clinician, and write the reports under var/wapiti/.
#
#   scripts/wapiti_scan.sh            # installs wapiti (apt) if missing, starts a server, scans, stops
#
# Traffic goes to 127.0.0.1 only, and the crawl is bounded in depth, pages and time.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8765}"
BASE="http://127.0.0.1:${PORT}"
OUT="var/wapiti"
MODULES="http_headers,cookieflags,csp,csrf,xss,sql,exec,file,redirect"
PY="${PY:-.venv/bin/python}"
PASSWORD="${DEMO_PASSWORD:-ivig-demo-2026}"

command -v wapiti >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wapiti; }
[ -x "$PY" ] || make install
mkdir -p "$OUT"

export VAR_DIR="$PWD/var/wapiti-app" DEBUG=true
rm -rf "$VAR_DIR"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo --password "$PASSWORD" >/dev/null
"$PY" manage.py runserver "127.0.0.1:${PORT}" --noreload >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "$BASE/accounts/login/" >/dev/null && break; sleep 0.2; done

scan() {  # scan NAME [EMAIL]: an anonymous visitor, or a signed-in demo user
  local name=$1 email=${2:-} args=()
  if [ -n "$email" ]; then
    EMAIL="$email" COOKIE_FILE="$OUT/$name.cookies.json" "$PY" manage.py shell < scripts/wapiti_cookie.py
    args=(-c "$OUT/$name.cookies.json")
  fi
  # No -x exclusions: Debian's wapiti 3.0.4 fails to compile them on Python 3.11 (a
  # re.error in wildcard_translate). Sign-out is POST-only, so crawling does not end the session.
  wapiti -u "$BASE/" --scope folder -m "$MODULES" "${args[@]}" \
    --max-links-per-page 40 -d 4 --max-scan-time "${SCAN_SECONDS:-300}" --max-attack-time 60 \
    -f txt -o "$OUT/$name.txt" --flush-session || true
  echo "== $name: $OUT/$name.txt"
}
scan anonymous
scan patient patient1@demo.test
scan clinician clinician@demo.test
echo "Findings (look for 'Vulnerability' sections):"
grep -hE "^(Vulnerability|Anomaly)|^[A-Za-z ]+ \([0-9]+\)|Evil request|Info" "$OUT"/*.txt | head -80 || true
