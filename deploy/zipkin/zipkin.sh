#!/usr/bin/env bash
# deploy/zipkin/zipkin.sh {fetch|start|stop|status|logs}
#
# Runs Zipkin (the tracing UI/collector the services report spans to) as a plain Java process.
# Why: no Docker engine runs on the project's machines, so the self-contained Zipkin server jar is
# fetched from Maven Central (deploy/zipkin/pom.xml) and started with the machine's Java. Storage is
# in memory (traces are lost on stop), which is all local development and tests need.
#
#   fetch   download zipkin-server.jar into $COLLECTION_CACHE_DIR/zipkin unless already current
#   start   fetch if needed, start on 127.0.0.1:$ZIPKIN_PORT, wait until /health answers
#           (exit 0 at once if already running; exit 1 if the port belongs to something else)
#   stop    SIGTERM, up to 30 s, then SIGKILL; exit 0 if not running
#   status  print "running" (exit 0) or "stopped" (exit 3)
#   logs    print the tail of the Zipkin log (-f to follow)
#
# Binding: Zipkin reads its port from QUERY_PORT, but serves through Armeria, which ignores Spring's
# server.address; binding to loopback only works by overriding the whole Armeria port entry
# (--armeria.ports[0].ip/port/protocols), as done below.
# Runtime files: $COLLECTION_RUN_DIR/zipkin/{zipkin.pid,zipkin.log}.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=../env.sh
source "$HERE/../env.sh"

POM="$HERE/pom.xml"
CACHE="$COLLECTION_CACHE_DIR/zipkin"
JAR="$CACHE/zipkin-server.jar"
STAMP="$CACHE/.pom-hash"
ZIPKIN_RUN="$COLLECTION_RUN_DIR/zipkin"
PIDFILE="$ZIPKIN_RUN/zipkin.pid"
LOGFILE="$ZIPKIN_RUN/zipkin.log"
HEALTH_URL="http://127.0.0.1:$ZIPKIN_PORT/health"
START_TIMEOUT=90

jar_current() {
  [[ -s "$JAR" && -f "$STAMP" && "$(<"$STAMP")" == "$(file_hash "$POM")" ]]
}

cmd_fetch() {
  if jar_current; then
    log "zipkin jar is current in $CACHE"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found; install Maven 3 to fetch Zipkin"
  log "fetching zipkin-server.jar with Maven into $CACHE"
  local tmp="$CACHE.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$COLLECTION_CACHE_DIR"
  # Maven's output goes to a log file (Debian's Maven 3.8 prints stray ANSI codes even with -B -q).
  local mvn_log="$COLLECTION_CACHE_DIR/mvn-zipkin.log"
  if ! mvn -B -q -f "$POM" dependency:copy -DoutputDirectory="$tmp" >"$mvn_log" 2>&1 ||
    [[ ! -s "$tmp/zipkin-server.jar" ]]; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch zipkin-server.jar (output above, full log in $mvn_log)"
  fi
  file_hash "$POM" >"$tmp/.pom-hash"
  rm -rf "$CACHE"
  mv "$tmp" "$CACHE"
}

healthy() {
  # Only our own health endpoint counts: a JSON body with "status" : "UP".
  local body
  body="$(curl -fsS --max-time 2 "$HEALTH_URL" 2>/dev/null)" || return 1
  [[ "$body" == *'"UP"'* ]]
}

is_running() {
  pid_alive "$PIDFILE" && healthy
}

wait_healthy() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until healthy; do
    if ! pid_alive "$PIDFILE"; then
      log "Zipkin exited during startup"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "Zipkin did not answer $HEALTH_URL within ${START_TIMEOUT}s"
      return 1
    fi
    sleep 0.5
  done
}

startup_failed() {
  log "---- tail of $LOGFILE ----"
  tail -n 40 "$LOGFILE" >&2 || true
  stop_pidfile "$PIDFILE" zipkin 10
  die "Zipkin failed to start"
}

cmd_start() {
  command -v curl >/dev/null || die "curl not found (needed to probe Zipkin's /health)"
  if pid_alive "$PIDFILE"; then
    if is_running; then
      log "Zipkin is already running on http://127.0.0.1:$ZIPKIN_PORT (pid $(<"$PIDFILE"))"
      return 0
    fi
    log "Zipkin (pid $(<"$PIDFILE")) is up but not healthy yet; waiting"
    wait_healthy || startup_failed
    log "Zipkin is ready on http://127.0.0.1:$ZIPKIN_PORT"
    return 0
  fi
  rm -f "$PIDFILE"
  if port_open 127.0.0.1 "$ZIPKIN_PORT"; then
    die "port 127.0.0.1:$ZIPKIN_PORT is already in use by another process (not our Zipkin); free it or set ZIPKIN_PORT"
  fi
  command -v java >/dev/null || die "java not found; Zipkin 3 needs Java 17+"
  cmd_fetch
  mkdir -p "$ZIPKIN_RUN"
  log "starting Zipkin on http://127.0.0.1:$ZIPKIN_PORT (log $LOGFILE)"
  # setsid: own session, detached from this terminal; the inner shell records its pid, then becomes
  # the JVM. Run from the run dir so nothing is written into the repo.
  # shellcheck disable=SC2016,SC2086  # ZIPKIN_HEAP is a list of JVM flags
  (
    cd "$ZIPKIN_RUN"
    QUERY_PORT="$ZIPKIN_PORT" STORAGE_TYPE=mem SELF_TRACING_ENABLED=false MEM_MAX_SPANS="$ZIPKIN_MAX_SPANS" \
      setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
      java $ZIPKIN_HEAP -jar "$JAR" \
      "--armeria.ports[0].ip=127.0.0.1" \
      "--armeria.ports[0].port=$ZIPKIN_PORT" \
      "--armeria.ports[0].protocols[0]=http" \
      </dev/null >>"$LOGFILE" 2>&1 &
  )
  for _ in {1..50}; do
    [[ -s "$PIDFILE" ]] && break
    sleep 0.1
  done
  wait_healthy || startup_failed
  log "Zipkin is ready on http://127.0.0.1:$ZIPKIN_PORT (pid $(<"$PIDFILE"))"
}

cmd_stop() {
  stop_pidfile "$PIDFILE" zipkin 30
}

cmd_status() {
  if is_running; then
    echo running
  else
    echo stopped
    exit 3
  fi
}

cmd_logs() {
  [[ -f "$LOGFILE" ]] || die "no Zipkin log yet at $LOGFILE"
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -F "$LOGFILE"
  fi
  tail -n 100 "$LOGFILE"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) cmd_logs "${2:-}" ;;
  *)
    echo "usage: $0 {fetch|start|stop|status|logs [-f]}" >&2
    exit 2
    ;;
esac
