"""Which secrets a deployment may run with: deny by default.

The development signing keys, webhook secret and database passwords are in the source code, so anyone can sign
a token with them. They are accepted only when ``DEPLOYMENT_ENVIRONMENT`` is exactly one of
``DEVELOPMENT_ENVIRONMENTS`` (case-sensitive, no spaces): ``prod``, ``Production``, ``production `` (trailing
space), ``staging``, ``compose`` or an unset variable all count as a real deployment. A real deployment refuses
a published secret *anywhere* in a key list (not just as the whole value), a default database password and a
missing secret, and the error names the setting to set.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

#: The only values of DEPLOYMENT_ENVIRONMENT under which the published development secrets are accepted.
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})

#: What every default database password of deploy/postgres ends with (``<name>-dev-password``).
_DEFAULT_PASSWORD_SUFFIX = "-dev-password"
#: Passwords no deployment may use, whatever the environment says it is (the compose default and the obvious).
_WELL_KNOWN_PASSWORDS = frozenset({"postgres", "password", "secret", "changeme"})


def is_development(environment: str | None) -> bool:
    """Exact membership: anything else, an unset value included, is a real deployment."""
    return environment in DEVELOPMENT_ENVIRONMENTS


def secrets_of(value: str) -> list[str]:
    """The secrets in a setting: ``kid:secret,kid:secret`` (token keys) or ``secret,secret`` (webhook secrets).
    Both the whole item and the part after the first ``:`` are returned, so either form is compared."""
    found: list[str] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        found.append(item)
        kid, sep, secret = item.partition(":")
        if sep and secret.strip():
            found.append(secret.strip())
    return found


def _explain(environment: str | None) -> str:
    shown = "unset" if environment is None or environment == "" else repr(environment)
    return (f"DEPLOYMENT_ENVIRONMENT is {shown}; the published development secrets are accepted only when it is "
            f"exactly one of {', '.join(sorted(DEVELOPMENT_ENVIRONMENTS))}")


def refuse_published_secrets(value: str, environment: str | None, setting: str, published: Iterable[str]) -> str:
    """``value`` unless it is empty or holds a published secret in a real deployment (``ValueError`` naming
    ``setting`` then)."""
    if is_development(environment):
        return value
    if not value or not secrets_of(value):
        raise ValueError(f"{setting} must be set ({_explain(environment)})")
    public = {secret for text in published for secret in secrets_of(text)}
    if any(secret in public for secret in secrets_of(value)):
        raise ValueError(f"{setting} contains a published development key: set {setting} to secrets of your own "
                         f"and drop the development one ({_explain(environment)})")
    return value


def refuse_default_database_password(url: str, environment: str | None, setting: str) -> str:
    """``url`` unless a real deployment would connect without a password or with a default one."""
    if is_development(environment):
        return url
    password = urlsplit(url).password
    if not password:
        raise ValueError(f"{setting} has no password: set {setting} with the service's own database password "
                         f"({_explain(environment)})")
    if password.endswith(_DEFAULT_PASSWORD_SUFFIX) or password.lower() in _WELL_KNOWN_PASSWORDS:
        raise ValueError(f"{setting} uses a default database password: set {setting} (and PG_PASSWORD_<NAME> where "
                         f"the database is created) to a password of your own ({_explain(environment)})")
    return url
