#!/usr/bin/env bash
# deploy/demo.sh — load demo data into a running system and say where to look.
#
# Imports the tax department's sample export (services/tax_adapter/samples/) through the real adapter, waits
# until the collection service holds it, and prints the URLs of the API docs, a debtor ledger and the
# tracing UI. Safe to run again: message ids come from the source keys, so nothing is counted twice.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"

PYTHON="$ROOT/.venv/bin/python"
SAMPLE="$ROOT/services/tax_adapter/samples/tax_export_sample.csv"
API="http://127.0.0.1:${COLLECTION_HTTP_PORT:-8000}"
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-zipkin_json}"
export OTEL_EXPORTER_ZIPKIN_ENDPOINT="${OTEL_EXPORTER_ZIPKIN_ENDPOINT:-http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans}"

log "importing the demo tax export"
(cd "$ROOT" && "$PYTHON" -m services.tax_adapter import "$SAMPLE" --report "$COLLECTION_RUN_DIR/demo-rejections.csv")

debtor="$("$PYTHON" - "$API" <<'PY'
import sys, time, json, urllib.request, urllib.error
api = sys.argv[1]
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"{api}/debtor-lookup?department=tax&source_person_id=100001", timeout=3) as r:
            print(json.load(r)["debtor_ids"][0])
            sys.exit(0)
    except (urllib.error.URLError, KeyError, IndexError):
        time.sleep(0.5)
sys.exit("the demo data did not reach the collection service within 60 s (see deploy/services.sh logs collection)")
PY
)"

cat <<TXT

  The system is up with demo data.

  Central collection API (OpenAPI docs)  $API/docs
  A debtor's ledger (demo person 100001) $API/debtors/$debtor?as_of=2024-10-01
  Tax adapter (push imports, docs)       http://127.0.0.1:${TAX_ADAPTER_HTTP_PORT:-8001}/docs
  Tracing UI (Zipkin)                    http://127.0.0.1:$ZIPKIN_PORT/zipkin/
  Logs                                   $COLLECTION_RUN_DIR/services/*.log

  Import another export:  .venv/bin/python -m services.tax_adapter import FILE
  Stop everything:        make down

TXT
