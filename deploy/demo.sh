#!/usr/bin/env bash
# deploy/demo.sh — load a living demo city into a running system and say where to look.
#
# Generates a small synthetic city (tools/synthetic_city: every department's own export of the same
# residents, with the spelling differences real systems have), imports it through the real adapters — each
# source system of contracts/sources.py as it delivers: tax, insurance, childcare and water as batch files,
# housing pushed over HTTP with its own credential — waits
# until the collection service holds it, and prints the URLs of the API docs, a debtor with arrears in
# several departments, and the tracing UI. Safe to run again: an import already done publishes nothing.
#
# Also creates one staff account per role (demo-viewer, demo-collector, demo-supervisor, demo-admin) with the
# password DEMO_STAFF_PASSWORD (default "demo-password-2025"): the central API refuses calls without a token.
#
# DEMO_HOUSEHOLDS (default 300) sets the size of the city.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"

PYTHON="$ROOT/.venv/bin/python"
CITY="$COLLECTION_RUN_DIR/demo-city"
API="http://127.0.0.1:${COLLECTION_HTTP_PORT:-8000}"
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-zipkin_json}"
export OTEL_EXPORTER_ZIPKIN_ENDPOINT="${OTEL_EXPORTER_ZIPKIN_ENDPOINT:-http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans}"
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"
export COLLECTION_DATABASE_URL="${COLLECTION_DATABASE_URL:-postgresql://collection_svc:${PG_PASSWORD_COLLECTION:-collection-dev-password}@127.0.0.1:$PG_PORT/collection}"

if [[ ! -f "$CITY/summary.json" ]]; then
  log "generating the demo city (${DEMO_HOUSEHOLDS:-300} households) in $CITY"
  (cd "$ROOT" && "$PYTHON" -m tools.synthetic_city --households "${DEMO_HOUSEHOLDS:-300}" --out "$CITY" >/dev/null)
fi

push() {  # code port_variable default_port department file media_type: POST the file as that system does
  local port_variable="$2" url credential
  url="http://127.0.0.1:${!port_variable:-$3}"
  log "pushing $5 to the $1 adapter over HTTP, as the $4 system (its own credential)"
  # A department system signs in with a credential of its own (shared/department_auth.py); the demo mints one with
  # the development key, as the city would for that system's server.
  credential="$(cd "$ROOT" && "$PYTHON" -m shared.department_auth mint "$4" --system "$1-demo" 2>/dev/null)"
  DEMO_CREDENTIAL="$credential" "$PYTHON" - "$url" "$CITY/$5" "$6" <<'PY'
import json, os, sys, urllib.request
from pathlib import Path

url, path, media_type = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
request = urllib.request.Request(f"{url}/imports?file_name={path.name}", data=path.read_bytes(),
                                 headers={"content-type": media_type,
                                          "authorization": f"Bearer {os.environ['DEMO_CREDENTIAL']}"},
                                 method="POST")
with urllib.request.urlopen(request, timeout=120) as response:
    body = json.load(response)
print(f"{path.name}: read {body['read']}, published {body['published']}, rejected {body['rejected']}, "
      f"sent by {body['submitted_by']}")
PY
}

# Every source system of contracts/sources.py: code, adapter, port variable, default port, department, export file,
# delivery ("file": the adapter's batch command; "push": POST /imports, as that system does), media type.
# The batch files first, then the pushes (the order the tests import the city in).
SOURCE_ROWS="$(cd "$ROOT" && "$PYTHON" -m contracts.sources)"
for wanted in file push; do
  while IFS=$'\t' read -r -u 3 code adapter port_variable port department file delivery media_type; do
    [[ "$delivery" == "$wanted" ]] || continue
    if [[ "$delivery" == push ]]; then
      push "$code" "$port_variable" "$port" "$department" "$file" "$media_type"
    else
      log "importing $file with the $adapter"
      (cd "$ROOT" && "$PYTHON" -m shared.ingest "$code" import "$CITY/$file" \
        --report "$COLLECTION_RUN_DIR/demo-$adapter-rejections.csv")
    fi
  done 3<<<"$SOURCE_ROWS"
done

export DEMO_STAFF_PASSWORD="${DEMO_STAFF_PASSWORD:-demo-password-2025}"
for role in viewer collector supervisor admin welfare; do
  (cd "$ROOT" && "$PYTHON" -m services.collection staff add "demo-$role" --name "デモ $role" --role "$role" \
    --password-env DEMO_STAFF_PASSWORD >/dev/null)
done
log "staff accounts demo-viewer, demo-collector, demo-supervisor, demo-admin, demo-welfare (password: \$DEMO_STAFF_PASSWORD)"

# The two lawyer teams of the assignment policy, and one lawyer's client credentials each (made once).
export LAWYER_GATEWAY_DATABASE_URL="${LAWYER_GATEWAY_DATABASE_URL:-postgresql://lawyer_gateway_svc:${PG_PASSWORD_LAWYER_GATEWAY:-lawyer_gateway-dev-password}@127.0.0.1:$PG_PORT/lawyer_gateway}"
CLIENTS="$COLLECTION_RUN_DIR/demo-lawyer-clients.txt"
if [[ ! -s "$CLIENTS" ]]; then
  for firm in lawyer_team_a lawyer_team_b; do
    (cd "$ROOT" && "$PYTHON" -m services.lawyer_gateway firms add "$firm" --name "デモ $firm" >/dev/null \
      && "$PYTHON" -m services.lawyer_gateway clients add --firm "$firm" --lawyer demo-lawyer --name "デモ弁護士") \
      >>"$CLIENTS"
  done
  chmod 600 "$CLIENTS"
fi
log "lawyer gateway client credentials (demo): $CLIENTS"

found="$("$PYTHON" - "$API" "$CITY" <<'PY'
import json, os, sys, time, urllib.error, urllib.parse, urllib.request
from collections import defaultdict
api, city = sys.argv[1], sys.argv[2]
form = urllib.parse.urlencode({"username": "demo-viewer", "password": os.environ["DEMO_STAFF_PASSWORD"]}).encode()
with urllib.request.urlopen(urllib.request.Request(f"{api}/auth/token", data=form, method="POST"), timeout=10) as r:
    token = json.load(r)["access_token"]
# The resident with arrears in the most departments, found through the tax department's person id.
departments, tax_id = defaultdict(set), {}
for line in open(f"{city}/ground_truth/person_records.jsonl", encoding="utf-8"):
    record = json.loads(line)
    if record["department"] == "tax":
        tax_id[record["entity_id"]] = record["source_person_id"]
for line in open(f"{city}/ground_truth/claims.jsonl", encoding="utf-8"):
    claim = json.loads(line)
    if claim["balance"] > 0 and claim["due_date"] < "2025-01-31":
        departments[claim["entity_id"]].add(claim["department"])
candidates = sorted((e for e in departments if e in tax_id), key=lambda e: (-len(departments[e]), e))[:40]


def get(url):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def consumed_and_lag(port):
    consumed = lag = 0.0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("pipeline_messages_consumed_total"):
                consumed += float(line.rsplit(" ", 1)[1])
            elif line.startswith("pipeline_consumer_lag"):
                lag += float(line.rsplit(" ", 1)[1])
    return consumed, lag


# Wait until matching and collection have caught up (nothing behind, nothing new for three seconds).
ports = (os.environ.get("MATCHING_HTTP_PORT", "8002"), os.environ.get("COLLECTION_HTTP_PORT", "8000"))
deadline, last, quiet_since = time.time() + 300, None, time.time()
while time.time() < deadline:
    state = [consumed_and_lag(port) for port in ports]
    if state != last:
        last, quiet_since = state, time.time()
    elif all(lag == 0 for _, lag in state) and time.time() - quiet_since >= 3:
        break
    time.sleep(0.5)

# Show the candidate whose ledger gathers the most departments.
deadline, best = time.time() + 120, None
while time.time() < deadline and best is None:
    for entity in candidates:
        try:
            debtor = post(f"{api}/debtor-lookup", {"department": "tax", "source_person_id": tax_id[entity]})["debtor_ids"][0]
            ledger = get(f"{api}/debtors/{debtor}?as_of=2025-01-31")
        except (urllib.error.URLError, KeyError, IndexError):
            continue
        shown = len({c["department"] for c in ledger["claims"] if c["status"] == "delinquent"})
        if best is None or shown > best[0]:
            best = (shown, debtor)
    if best is None:
        time.sleep(1)
if best is None:
    sys.exit("the demo city did not reach the collection service within 120 s (see deploy/services.sh logs collection)")
print(best[1], get(f"{api}/auth/me")["business_date"])  # the one business date every service runs on
PY
)"
read -r debtor business_date <<<"$found"

cat <<TXT

  The system is up with a demo city ($(sed -n 's/.*"residents": \([0-9]*\).*/\1/p' "$CITY/summary.json") residents, $(sed -n 's/^  "claims": \([0-9]*\).*/\1/p' "$CITY/summary.json") claims).
  Business date of every service          $business_date   (BUSINESS_DATE; unset: today in Asia/Tokyo; GET /auth/me says it)

  Staff console (Japanese, in a browser) http://127.0.0.1:${CONSOLE_HTTP_PORT:-8010}/   (sign in: demo-collector / $DEMO_STAFF_PASSWORD)
                                         its 滞納者カルテ of that debtor: http://127.0.0.1:${CONSOLE_HTTP_PORT:-8010}/debtors/$debtor
  Central collection API (OpenAPI docs)  $API/docs   ("Authorize": demo-supervisor / $DEMO_STAFF_PASSWORD)
  A debtor with arrears in several departments (GET with a token from POST $API/auth/token)
                                         $API/debtors/$debtor
  The case list (largest arrears first)  $API/cases
  Review queue of debtor matching        http://127.0.0.1:${MATCHING_HTTP_PORT:-8002}/reviews
  Lawyer gateway (firms' API, docs)      http://127.0.0.1:${LAWYER_GATEWAY_HTTP_PORT:-8007}/docs   (credentials in $CLIENTS)
  Welfare referrals (suggested, inbox)   http://127.0.0.1:${WELFARE_REFERRAL_HTTP_PORT:-8008}/referrals   (welfare staff: demo-welfare /inbox)
  Adapters (push imports, docs)          http://127.0.0.1:8001/docs (tax) … :8006 (water)
  Tracing UI (Zipkin)                    http://127.0.0.1:$ZIPKIN_PORT/zipkin/
  Logs                                   $COLLECTION_RUN_DIR/services/*.log
  The demo city's files                  $CITY

  Import another export:  .venv/bin/python -m shared.ingest tax import FILE   (or insurance, childcare, housing, water)
  Stop everything:        make down

TXT
