#!/usr/bin/env bash
# deploy/kafka/kafka.sh {fetch|start|stop|status|logs [-f]|reset}
#
# Runs the project's local Apache Kafka: ONE KRaft process that is both broker and controller,
# listening on 127.0.0.1 only. Why not a container: no Docker engine runs on the project's machines,
# so the broker runs straight from the Maven Central jars (deploy/kafka/pom.xml) with the machine's
# Java 17. Everything it writes lives under $COLLECTION_RUN_DIR/kafka (git-ignored):
#
#   server.properties   generated from deploy/kafka/server.properties.template
#   cluster.id          KRaft cluster id, generated once
#   data/               log.dirs (formatted once by StorageTool)
#   logs/server.log     broker log (deploy/kafka/log4j2.properties); logs/kafka.out = stdout/stderr
#   kafka.pid           pid of the broker JVM (also its process-group/session id)
#
#   fetch   download the jars into $COLLECTION_CACHE_DIR/kafka-libs unless already current
#   start   fetch if needed, format storage once, start and wait until the broker is really ready: it logged
#           that it started AND answers a metadata request (MetadataCheck.java: DescribeCluster lists a
#           broker and a controller). A broker process that is still there (e.g. dying after kill -9) is
#           waited for: ready → exit 0; it exits → a new broker is started. Exit 1 if the port belongs
#           to something else.
#   stop    SIGTERM, up to 30 s for a clean shutdown, then SIGKILL; exit 0 if not running
#   status  print "running" (exit 0) or "stopped" (exit 3)
#   logs    print the tail of the broker log (-f to follow)
#   reset   stop and delete all broker state (topics, offsets, cluster id) — for tests
#
# Settings (ports, heap, folders) come from deploy/env.sh and can be overridden by env vars.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=../env.sh
source "$HERE/../env.sh"

POM="$HERE/pom.xml"
TEMPLATE="$HERE/server.properties.template"
LOG4J_CONFIG="$HERE/log4j2.properties"
LIBS="$COLLECTION_CACHE_DIR/kafka-libs"
STAMP="$LIBS/.pom-hash"
KAFKA_RUN="$COLLECTION_RUN_DIR/kafka"
DATA_DIR="$KAFKA_RUN/data"
LOG_DIR="$KAFKA_RUN/logs"
PROPS="$KAFKA_RUN/server.properties"
CLUSTER_ID_FILE="$KAFKA_RUN/cluster.id"
PIDFILE="$KAFKA_RUN/kafka.pid"
SERVER_LOG="$LOG_DIR/server.log"
START_TIMEOUT=90
# Logged by KafkaRaftServer.startup() once the controller and the broker are both up
# ("[KafkaRaftServer nodeId=1] Kafka Server started (kafka.server.KafkaRaftServer)").
READY_LINE='Kafka Server started'
CHECK_SRC="$HERE/MetadataCheck.java"
CHECK_DIR="$COLLECTION_CACHE_DIR/kafka-check"

libs_current() {
  [[ -f "$STAMP" && "$(<"$STAMP")" == "$(file_hash "$POM")" ]] &&
    compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null
}

cmd_fetch() {
  if libs_current; then
    log "kafka jars are current in $LIBS"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found; install Maven 3 to fetch the Kafka jars"
  log "fetching Kafka jars with Maven into $LIBS"
  # Download into a fresh sibling folder and swap it in, so a failed or interrupted download never
  # leaves a half-filled (or stale-mixed) lib folder behind.
  local tmp="$LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$COLLECTION_CACHE_DIR"
  # Maven's output goes to a log file (Debian's Maven 3.8 prints stray ANSI codes even with -B -q).
  local mvn_log="$COLLECTION_CACHE_DIR/mvn-kafka.log"
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the Kafka jars (output above, full log in $mvn_log)"
  fi
  file_hash "$POM" >"$tmp/.pom-hash"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

# Run one of Kafka's command-line tools (StorageTool) from the cached jars.
kafka_tool() {
  java -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIBS/*" "$@"
}

render_config() {
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_DATA_DIR@|$DATA_DIR|g" \
    "$TEMPLATE" >"$PROPS.tmp"
  mv "$PROPS.tmp" "$PROPS"
}

format_storage_once() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    kafka_tool kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE.tmp"
    mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
  fi
  log "formatting KRaft storage in $DATA_DIR (cluster id $(<"$CLUSTER_ID_FILE"))"
  kafka_tool kafka.tools.StorageTool format --standalone \
    -t "$(<"$CLUSTER_ID_FILE")" -c "$PROPS" >&2
}

# broker_alive — the pid file names a live process that is not a zombie (a killed broker whose parent has not
# reaped it yet still has a pid, but it is not a broker).
broker_alive() {
  pid_alive "$PIDFILE" || return 1
  local state
  state="$(awk '{print $3}' "/proc/$(<"$PIDFILE")/stat" 2>/dev/null || echo X)"
  [[ "$state" != Z && "$state" != X ]]
}

# metadata_ready — a real client request answered: DescribeCluster names a broker and a controller. The check
# is compiled once into the cache (javac), or run from source by Java's launcher when there is no javac.
metadata_ready() {
  local cp="$LIBS/*" main="$CHECK_SRC"
  if command -v javac >/dev/null; then
    if [[ ! -f "$CHECK_DIR/MetadataCheck.class" || "$CHECK_SRC" -nt "$CHECK_DIR/MetadataCheck.class" ]]; then
      mkdir -p "$CHECK_DIR"
      javac -nowarn -d "$CHECK_DIR" -cp "$LIBS/*" "$CHECK_SRC" >/dev/null 2>&1 || true
    fi
    if [[ -f "$CHECK_DIR/MetadataCheck.class" ]]; then
      cp="$CHECK_DIR:$LIBS/*"
      main=MetadataCheck
    fi
  fi
  java -Xshare:auto -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$cp" "$main" "127.0.0.1:$KAFKA_PORT" 3000 >/dev/null 2>&1
}

is_running() {
  broker_alive && port_open 127.0.0.1 "$KAFKA_PORT"
}

# wait_answering_or_gone — for a broker process found at start: 0 once it answers a metadata request, 1 once it
# has exited (then a new one is started); a process that does neither within START_TIMEOUT is stopped.
wait_answering_or_gone() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while broker_alive; do
    if port_open 127.0.0.1 "$KAFKA_PORT" && metadata_ready; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      log "Kafka (pid $(<"$PIDFILE")) neither answered nor exited within ${START_TIMEOUT}s; stopping it"
      stop_pidfile "$PIDFILE" kafka 10
      return 1
    fi
    sleep 0.5
  done
  return 1
}

log_size() {
  if [[ -f "$SERVER_LOG" ]]; then wc -c <"$SERVER_LOG"; else echo 0; fi
}

# Wait until the broker logged READY_LINE after byte offset $1 of server.log and answers on its port.
wait_ready() {
  local offset="$1" deadline=$((SECONDS + START_TIMEOUT))
  while true; do
    if ! broker_alive; then
      log "Kafka exited during startup"
      return 1
    fi
    if [[ -f "$SERVER_LOG" ]]; then
      local from=$((offset + 1))
      # A size-based rollover during startup would shrink the file: then look at all of it.
      (($(log_size) < offset)) && from=1
      # (grep without -q reads all input: with pipefail, -q could make tail die of SIGPIPE.)
      if tail -c "+$from" "$SERVER_LOG" | grep -F "$READY_LINE" >/dev/null &&
        port_open 127.0.0.1 "$KAFKA_PORT" && metadata_ready; then
        return 0
      fi
    fi
    if ((SECONDS >= deadline)); then
      log "Kafka was not ready within ${START_TIMEOUT}s"
      return 1
    fi
    sleep 0.5
  done
}

startup_failed() {
  log "---- tail of $SERVER_LOG ----"
  tail -n 40 "$SERVER_LOG" >&2 2>/dev/null || true
  log "---- tail of $LOG_DIR/kafka.out ----"
  tail -n 20 "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
  stop_pidfile "$PIDFILE" kafka 10
  die "Kafka failed to start"
}

cmd_start() {
  if broker_alive; then
    # A start still in progress, a running broker, or one dying after kill -9: never say "running" for a
    # process that does not answer a client.
    log "Kafka (pid $(<"$PIDFILE")) exists; waiting until it answers a metadata request or exits"
    if wait_answering_or_gone; then
      log "Kafka is already running on 127.0.0.1:$KAFKA_PORT (pid $(<"$PIDFILE"))"
      return 0
    fi
    log "the old Kafka process has exited; starting a new one"
  fi
  local port
  if [[ -s "$PIDFILE" ]]; then
    # Our broker's pid is dead or a zombie: a killed JVM's other threads may still hold its sockets for a
    # moment. Wait for its ports to close before calling them someone else's.
    local deadline=$((SECONDS + 30))
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      while port_open 127.0.0.1 "$port" && ((SECONDS < deadline)); do
        sleep 0.2
      done
    done
  fi
  rm -f "$PIDFILE"
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open 127.0.0.1 "$port"; then
      die "port 127.0.0.1:$port is already in use by another process (not our Kafka); free it or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
    fi
  done
  command -v java >/dev/null || die "java not found; Kafka 4 needs Java 17+"

  cmd_fetch
  render_config
  format_storage_once

  local offset
  offset="$(log_size)"
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT), logs in $LOG_DIR"
  # setsid: own session/process group, detached from this terminal (survives the caller's exit);
  # the inner shell records its pid and then *becomes* the JVM, so the pid file names the JVM.
  # KAFKA_HEAP is split into words on purpose (several JVM flags). log4j2's own shutdown hook is off:
  # Kafka shuts down in a JVM shutdown hook too, and log4j2 would stop logging before Kafka finishes
  # (its last lines would go to kafka.out via SimpleLogger); appenders flush per event anyway.
  # shellcheck disable=SC2086,SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    java $KAFKA_HEAP -server \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dlog4j2.shutdownHookEnabled=false \
    -Dkafka.logs.dir="$LOG_DIR" -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$LOG_DIR/kafka.out" 2>&1 &

  for _ in {1..50}; do
    [[ -s "$PIDFILE" ]] && break
    sleep 0.1
  done
  wait_ready "$offset" || startup_failed
  log "Kafka is ready on 127.0.0.1:$KAFKA_PORT (pid $(<"$PIDFILE"))"
}

cmd_stop() {
  stop_pidfile "$PIDFILE" kafka 30
}

cmd_status() {
  if is_running && metadata_ready; then
    echo running
  else
    echo stopped
    exit 3
  fi
}

cmd_logs() {
  [[ -f "$SERVER_LOG" ]] || die "no Kafka log yet at $SERVER_LOG"
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -F "$SERVER_LOG"
  fi
  tail -n 100 "$SERVER_LOG"
}

cmd_reset() {
  cmd_stop
  rm -rf "$KAFKA_RUN"
  log "deleted Kafka state in $KAFKA_RUN"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) cmd_logs "${2:-}" ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $0 {fetch|start|stop|status|logs [-f]|reset}" >&2
    exit 2
    ;;
esac
