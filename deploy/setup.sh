#!/usr/bin/env bash
# deploy/setup.sh — make this machine able to run and test the project, from a fresh clone.
#
# Why a script: the README's two commands (make up, make test) must work on a new machine where nothing
# was installed by hand. Everything here is idempotent and quick when already done:
#   - Debian packages the infrastructure needs (Java 17+ for Kafka and Zipkin, Maven to fetch their jars,
#     PostgreSQL server binaries, the IPAex fonts the notices are printed with, Chromium for the console's browser
#     tests), installed with apt-get only
#     when missing (needs root, as on CI);
#   - a virtualenv in .venv with the project installed editable and every dependency pinned by
#     requirements.lock (reproducible installs; the lock is refreshed with `make lock`);
#   - the Kafka and Zipkin jars from Maven Central into the cache folder.
#
# PYTHON (default python3.11, else python3) chooses the interpreter for the virtualenv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"

VENV="$ROOT/.venv"
STAMP="$VENV/.installed-hash"

apt_install() {
  local missing=("$@")
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    die "missing system packages: ${missing[*]} (install them with apt-get as root, then re-run)"
  fi
  log "installing system packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

system_packages() {
  local need=()
  local java_major=0
  if command -v java >/dev/null; then
    java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  fi
  ((${java_major%%.*} >= 17)) || need+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || need+=(maven)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  # the notices are printed with the IPAex fonts (TrueType outlines, which reportlab embeds)
  [[ -f /usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf ]] || need+=(fonts-ipaexfont-mincho)
  [[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ]] || need+=(fonts-ipaexfont-gothic)
  # the staff console's browser tests drive Debian's Chromium (a test tool's own browser download is refused here)
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
  apt_install "${need[@]}"
}

python_env() {
  local python="${PYTHON:-}"
  if [[ -z "$python" ]]; then
    python="$(command -v python3.11 || command -v python3)" || die "no python3 found (Python 3.11 is required)"
  fi
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "$python is older than Python 3.11"
  local want
  want="$(file_hash "$ROOT/pyproject.toml" "$ROOT/requirements.lock")"
  if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(<"$STAMP")" == "$want" ]]; then
    log "python environment is current ($VENV)"
    return 0
  fi
  [[ -x "$VENV/bin/python" ]] || "$python" -m venv "$VENV"
  log "installing Python dependencies into $VENV (pinned by requirements.lock)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -c "$ROOT/requirements.lock" -e "${ROOT}[test]"
  echo "$want" >"$STAMP"
}

system_packages
python_env
"$HERE/kafka/kafka.sh" fetch
"$HERE/zipkin/zipkin.sh" fetch
log "setup complete"
