#!/usr/bin/env bash
# deploy/env.sh — shared settings for the native infrastructure scripts (sourced, never executed).
#
# Why: no Docker engine runs on the project's machines, so PostgreSQL, Kafka and Zipkin run as plain
# processes owned by the repository. Every script needs the same answers to "where is the repo",
# "where do runtime files and downloads go" and "which ports", so they live here once. Every value
# is a default: export the variable before calling a script to override it.
#
#   COLLECTION_RUN_DIR     runtime state: data dirs, pid files, logs    (default: $ROOT/.run)
#   COLLECTION_CACHE_DIR   downloaded jars                              (default: $ROOT/.cache)
#   KAFKA_PORT             Kafka client listener  (PLAINTEXT)           (default: 19092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener                    (default: 19093)
#   PG_PORT                PostgreSQL TCP port on 127.0.0.1             (default: 15432)
#   ZIPKIN_PORT            Zipkin UI/API/collector port                 (default: 9411)
#   KAFKA_HEAP             JVM heap flags for the broker                (default: -Xmx512m -Xms256m)
#   ZIPKIN_HEAP            JVM heap flags for Zipkin                    (default: -Xmx1g)
#   ZIPKIN_MAX_SPANS       spans Zipkin keeps in memory                 (default: 300000)
#   PG_SHARED_BUFFERS      PostgreSQL shared_buffers                    (default: 512MB)
#   DEPLOYMENT_ENVIRONMENT development|test accept the published dev keys (default: development)
#
# Both .run/ and .cache/ are git-ignored.

# Repository root: the parent of this file's folder, resolved to an absolute path.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

export ROOT
# The native deployment of `make up` is a development system: the published development keys and database
# passwords are accepted only when DEPLOYMENT_ENVIRONMENT is development or test (shared/deployment.py).
export DEPLOYMENT_ENVIRONMENT="${DEPLOYMENT_ENVIRONMENT:-development}"
export COLLECTION_RUN_DIR="${COLLECTION_RUN_DIR:-$ROOT/.run}"
export COLLECTION_CACHE_DIR="${COLLECTION_CACHE_DIR:-$ROOT/.cache}"
export KAFKA_PORT="${KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
export PG_PORT="${PG_PORT:-15432}"
export ZIPKIN_PORT="${ZIPKIN_PORT:-9411}"
export KAFKA_HEAP="${KAFKA_HEAP:--Xmx512m -Xms256m}"
# Zipkin keeps traces in memory: every imported record is a trace of several spans, so give it room and
# a bound (the oldest spans are dropped beyond ZIPKIN_MAX_SPANS).
export ZIPKIN_HEAP="${ZIPKIN_HEAP:--Xmx1g}"
export ZIPKIN_MAX_SPANS="${ZIPKIN_MAX_SPANS:-300000}"

# log MESSAGE... — progress/diagnostics go to stderr so stdout stays clean for "running"/"stopped".
log() {
  printf '[infra] %s\n' "$*" >&2
}

# die MESSAGE... — log and exit 1.
die() {
  log "ERROR: $*"
  exit 1
}

# port_open HOST PORT — true if something accepts TCP connections there (bash /dev/tcp, 1 s cap).
port_open() {
  local host="$1" port="$2"
  # shellcheck disable=SC2016  # $1/$2 expand in the child bash, on purpose
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# wait_for_port HOST PORT TIMEOUT_SECONDS NAME — poll until the port accepts connections.
# Returns 1 (after logging) if it does not within the timeout.
wait_for_port() {
  local host="$1" port="$2" timeout_s="$3" name="$4"
  local deadline=$((SECONDS + timeout_s))
  until port_open "$host" "$port"; do
    if ((SECONDS >= deadline)); then
      log "$name did not open $host:$port within ${timeout_s}s"
      return 1
    fi
    sleep 0.5
  done
}

# proc_alive PID — true if PID is a live process. A zombie (exited, not yet reaped — which can take a
# while when PID 1 is a minimal init, as on the project's VMs) counts as dead.
proc_alive() {
  local pid="$1" stat
  kill -0 "$pid" 2>/dev/null || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  # Field 3 of /proc/PID/stat is the state; skip "pid (comm)" since comm may contain spaces.
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# pid_alive PIDFILE — true if PIDFILE names a live process.
pid_alive() {
  local pidfile="$1" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] && proc_alive "$pid"
}

# stop_pidfile PIDFILE NAME [GRACE_SECONDS] — SIGTERM the process group led by the pid (the scripts
# start services with setsid, so pid == pgid), wait up to GRACE_SECONDS (default 30), then SIGKILL.
# Always removes the pid file. Succeeds if nothing was running.
stop_pidfile() {
  local pidfile="$1" name="$2" grace="${3:-30}" pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name is not running"
    return 0
  fi
  pid="$(<"$pidfile")"
  log "stopping $name (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while proc_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      log "$name did not stop within ${grace}s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$pidfile"
  log "$name stopped"
}

# file_hash FILE... — short content hash, used for "is the cache up to date" stamps.
file_hash() {
  cat "$@" | sha256sum | cut -c1-16
}
