#!/usr/bin/env bash
# deploy/services.sh {start|stop|status|logs NAME}
#
# Runs the product's services as background processes on this machine (the docker-compose.yml does the
# same where a Docker engine runs). Each service gets a pid file and a JSON log under
# $COLLECTION_RUN_DIR/services. Traces go to the local Zipkin unless OTEL_TRACES_EXPORTER says otherwise.
#
#   start   create the Kafka topics, start every service not yet running, wait until each is ready
#   stop    stop every service (SIGTERM, then SIGKILL after 20 s)
#   status  one line per service with its URL; exit 0 only if all are running
#   logs    tail one service's log
#
# Ports (override with env vars): COLLECTION_HTTP_PORT 8000, MATCHING_HTTP_PORT 8002, LAWYER_GATEWAY_HTTP_PORT 8007,
# WELFARE_REFERRAL_HTTP_PORT 8008, CONSOLE_HTTP_PORT 8010 (the staff console); the adapters' come from their rows in contracts/sources.py (TAX_ADAPTER_HTTP_PORT
# 8001, INSURANCE_ADAPTER_HTTP_PORT 8003, CHILDCARE_ADAPTER_HTTP_PORT 8004, HOUSING_ADAPTER_HTTP_PORT 8005,
# WATER_ADAPTER_HTTP_PORT 8006, STANDARD_LINK_ADAPTER_HTTP_PORT 8009: `.venv/bin/python -m contracts.sources` prints them).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"

PYTHON="$ROOT/.venv/bin/python"
SERVICES_RUN="$COLLECTION_RUN_DIR/services"
export COLLECTION_HTTP_PORT="${COLLECTION_HTTP_PORT:-8000}"
export MATCHING_HTTP_PORT="${MATCHING_HTTP_PORT:-8002}"
export LAWYER_GATEWAY_HTTP_PORT="${LAWYER_GATEWAY_HTTP_PORT:-8007}"
export WELFARE_REFERRAL_HTTP_PORT="${WELFARE_REFERRAL_HTTP_PORT:-8008}"
export CONSOLE_HTTP_PORT="${CONSOLE_HTTP_PORT:-8010}"
export CONSOLE_COLLECTION_URL="${CONSOLE_COLLECTION_URL:-http://127.0.0.1:$COLLECTION_HTTP_PORT}"
export CONSOLE_MATCHING_URL="${CONSOLE_MATCHING_URL:-http://127.0.0.1:$MATCHING_HTTP_PORT}"
export CONSOLE_WELFARE_URL="${CONSOLE_WELFARE_URL:-http://127.0.0.1:$WELFARE_REFERRAL_HTTP_PORT}"
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
export MATCHING_DATABASE_URL="${MATCHING_DATABASE_URL:-postgresql://matching_svc:${PG_PASSWORD_MATCHING:-matching-dev-password}@127.0.0.1:$PG_PORT/matching}"
export COLLECTION_DATABASE_URL="${COLLECTION_DATABASE_URL:-postgresql://collection_svc:${PG_PASSWORD_COLLECTION:-collection-dev-password}@127.0.0.1:$PG_PORT/collection}"
export LAWYER_GATEWAY_DATABASE_URL="${LAWYER_GATEWAY_DATABASE_URL:-postgresql://lawyer_gateway_svc:${PG_PASSWORD_LAWYER_GATEWAY:-lawyer_gateway-dev-password}@127.0.0.1:$PG_PORT/lawyer_gateway}"
export WELFARE_REFERRAL_DATABASE_URL="${WELFARE_REFERRAL_DATABASE_URL:-postgresql://welfare_referral_svc:${PG_PASSWORD_WELFARE_REFERRAL:-welfare_referral-dev-password}@127.0.0.1:$PG_PORT/welfare_referral}"
# Collection is the one authority for staff accounts; the other services ask it (shared/staff_authority.py).
export STAFF_AUTHORITY_URL="${STAFF_AUTHORITY_URL:-http://127.0.0.1:$COLLECTION_HTTP_PORT}"
export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-zipkin_json}"
export OTEL_EXPORTER_ZIPKIN_ENDPOINT="${OTEL_EXPORTER_ZIPKIN_ENDPOINT:-http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans}"

# name → port and what follows `python -m`; the order is the start order (consumers before the adapters that feed
# them). The adapters are the source systems of contracts/sources.py, one row each: code, adapter, port variable,
# default port, department, export file, delivery, media type (tab-separated).
SERVICES=(matching collection lawyer_gateway welfare_referral console)
declare -A PORT=([matching]="$MATCHING_HTTP_PORT" [collection]="$COLLECTION_HTTP_PORT"
  [lawyer_gateway]="$LAWYER_GATEWAY_HTTP_PORT" [welfare_referral]="$WELFARE_REFERRAL_HTTP_PORT"
  [console]="$CONSOLE_HTTP_PORT")
declare -A MODULE=([matching]="services.matching" [collection]="services.collection"
  [lawyer_gateway]="services.lawyer_gateway" [welfare_referral]="services.welfare_referral"
  [console]="services.console")
[[ -x "$PYTHON" ]] || die "no virtualenv at $ROOT/.venv: run deploy/setup.sh (or make setup) first"
SOURCE_ROWS="$(cd "$ROOT" && "$PYTHON" -m contracts.sources)" || die "could not read contracts/sources.py"
while IFS=$'\t' read -r code adapter port_variable port _; do
  export "$port_variable=${!port_variable:-$port}"
  SERVICES+=("$adapter")
  PORT[$adapter]="${!port_variable}"
  MODULE[$adapter]="shared.ingest $code serve"
done <<<"$SOURCE_ROWS"

ready() {
  "$PYTHON" - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

cmd_start() {
  mkdir -p "$SERVICES_RUN"
  (cd "$ROOT" && "$PYTHON" -m shared.kafka topics)
  local name pidfile
  for name in "${SERVICES[@]}"; do
    pidfile="$SERVICES_RUN/$name.pid"
    if pid_alive "$pidfile"; then
      log "$name is already running (pid $(<"$pidfile"))"
      continue
    fi
    port_open 127.0.0.1 "${PORT[$name]}" && die "port ${PORT[$name]} for $name is taken by another process"
    # shellcheck disable=SC2086  # MODULE is a word list on purpose (the module and its arguments)
    (cd "$ROOT" && exec setsid "$PYTHON" -m ${MODULE[$name]} \
      >>"$SERVICES_RUN/$name.log" 2>&1 </dev/null) &
    echo $! >"$pidfile"
    log "started $name (pid $!) on http://127.0.0.1:${PORT[$name]}"
  done
  local deadline=$((SECONDS + 90))
  for name in "${SERVICES[@]}"; do
    until ready "${PORT[$name]}"; do
      if ! pid_alive "$SERVICES_RUN/$name.pid"; then
        tail -n 30 "$SERVICES_RUN/$name.log" >&2
        die "$name exited during start-up (log: $SERVICES_RUN/$name.log)"
      fi
      ((SECONDS < deadline)) || die "$name not ready after 90 s (log: $SERVICES_RUN/$name.log)"
      sleep 0.5
    done
    log "$name is ready"
  done
}

cmd_stop() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    stop_pidfile "$SERVICES_RUN/${SERVICES[i]}.pid" "${SERVICES[i]}" 20
  done
}

cmd_status() {
  local name all=0
  for name in "${SERVICES[@]}"; do
    if pid_alive "$SERVICES_RUN/$name.pid"; then
      printf '%-12s running  http://127.0.0.1:%s\n' "$name" "${PORT[$name]}"
    else
      printf '%-12s stopped\n' "$name"
      all=3
    fi
  done
  return "$all"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) tail -n 50 "$SERVICES_RUN/${2:?usage: $0 logs NAME}.log" ;;
  *) echo "usage: $0 {start|stop|status|logs NAME}" >&2; exit 2 ;;
esac
