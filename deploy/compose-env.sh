#!/usr/bin/env bash
# deploy/compose-env.sh [FILE] — write the secrets of one docker compose deployment into FILE (default: .env).
#
# docker-compose.yml takes every key and password from .env and refuses to start without them; the services
# refuse the published development keys and passwords outside development and test (shared/deployment.py).
# This makes fresh random ones: staff, firm and department token keys (kid:secret), the welfare webhook secret,
# the PostgreSQL superuser's and each service database's password. An existing file is never overwritten
# (rotating a key is adding one to the list, see docs/operations.md). .env is git-ignored; keep it mode 600.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
OUT="${1:-$HERE/../.env}"
if [[ -e "$OUT" ]]; then
  echo "$OUT exists: not overwritten (delete it first to make new secrets)" >&2
  exit 0
fi
umask 077
python3 - "$OUT" <<'PY'
import secrets, sys
from datetime import date

kid = date.today().strftime("%Y%m")
def key() -> str:
    return secrets.token_urlsafe(48)

lines = {
    "DEPLOYMENT_ENVIRONMENT": "production",
    "PUBLISH_ADDRESS": "127.0.0.1",
    "STAFF_AUTH_KEYS": f"{kid}:{key()}", "STAFF_AUTH_ACTIVE_KID": kid,
    "FIRM_AUTH_KEYS": f"{kid}:{key()}", "FIRM_AUTH_ACTIVE_KID": kid,
    "DEPARTMENT_AUTH_KEYS": f"{kid}:{key()}", "DEPARTMENT_AUTH_ACTIVE_KID": kid,
    "WELFARE_WEBHOOK_SECRETS": key(),
    "POSTGRES_PASSWORD": key(),
    **{f"PG_PASSWORD_{name}": key() for name in ("MATCHING", "COLLECTION", "LAWYER_GATEWAY", "WELFARE_REFERRAL")},
}
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("# Secrets of this docker compose deployment (deploy/compose-env.sh). Never commit this file.\n")
    out.writelines(f"{name}={value}\n" for name, value in lines.items())
PY
echo "wrote $OUT (mode 600): docker compose up --build" >&2
