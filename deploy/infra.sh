#!/usr/bin/env bash
# deploy/infra.sh {start|stop|status}
#
# One entry point for all local infrastructure the services need — PostgreSQL, Kafka and Zipkin —
# run as native processes because no Docker engine runs on the project's machines.
#
#   start   start postgres, kafka, zipkin (in that order); each is idempotent, so re-running is safe.
#           Stops at the first failure, naming the component (its own script prints the details).
#   stop    stop zipkin, kafka, postgres (reverse order); tries all, exits 1 if any failed.
#   status  one line per component; exit 0 only if all are running, else 3.
#
# Endpoints (defaults from deploy/env.sh, override via env vars):
#   PostgreSQL  127.0.0.1:$PG_PORT (15432)   databases/roles from deploy/postgres/databases.conf
#   Kafka       127.0.0.1:$KAFKA_PORT (19092)
#   Zipkin      http://127.0.0.1:$ZIPKIN_PORT (9411)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"

COMPONENTS=(postgres kafka zipkin)

script_for() {
  echo "$HERE/$1/$1.sh"
}

cmd_start() {
  local c
  for c in "${COMPONENTS[@]}"; do
    log "== $c: start"
    "$(script_for "$c")" start || die "$c failed to start (see above); later components were not started"
  done
  log "all infrastructure is up: postgres 127.0.0.1:$PG_PORT, kafka 127.0.0.1:$KAFKA_PORT, zipkin http://127.0.0.1:$ZIPKIN_PORT"
}

cmd_stop() {
  local i c failed=()
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c="${COMPONENTS[i]}"
    log "== $c: stop"
    "$(script_for "$c")" stop || failed+=("$c")
  done
  if ((${#failed[@]} > 0)); then
    die "failed to stop: ${failed[*]}"
  fi
}

cmd_status() {
  local c state rc=0
  for c in "${COMPONENTS[@]}"; do
    state="$("$(script_for "$c")" status 2>/dev/null)" || rc=3
    printf '%-9s %s\n' "$c" "${state:-stopped}"
  done
  return "$rc"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 {start|stop|status}" >&2
    exit 2
    ;;
esac
