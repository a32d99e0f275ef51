"""``python -m services.collection`` serves the API and the consumers; ``python -m services.collection staff …``
manages staff accounts from the command line (the first administrator cannot be created through the API)."""

import argparse
import asyncio
import getpass
import os
import sys

from services.collection.settings import CollectionSettings
from shared.auth import StaffRole, hash_password
from shared.migrations import apply_migrations
from shared.serve import serve


async def _staff(args: argparse.Namespace, settings: CollectionSettings) -> int:
    import asyncpg

    from services.collection.app import MIGRATIONS

    apply_migrations(settings.database_url, MIGRATIONS)
    conn = await asyncpg.connect(settings.database_url)
    try:
        if args.action == "add":
            password = os.environ.get(args.password_env) if args.password_env else None
            if password is None:
                password = getpass.getpass(f"password for {args.staff_id}: ") if sys.stdin.isatty() \
                    else sys.stdin.readline().rstrip("\n")
            if len(password) < 12:
                print("the password must have at least 12 characters", file=sys.stderr)
                return 2
            await conn.execute(
                "INSERT INTO staff_accounts (staff_id, display_name, password_hash, roles) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (staff_id) DO UPDATE SET display_name = $2, password_hash = $3, roles = $4, "
                "active = true, tokens_valid_after = now()",
                args.staff_id, args.name or args.staff_id, hash_password(password), args.role)
            print(f"staff {args.staff_id}: {', '.join(args.role)}")
        elif args.action == "disable":
            done = await conn.execute("UPDATE staff_accounts SET active = false, tokens_valid_after = now() "
                                      "WHERE staff_id = $1", args.staff_id)
            if done.endswith(" 0"):
                print(f"no staff id {args.staff_id}", file=sys.stderr)
                return 1
            print(f"staff {args.staff_id}: disabled")
        else:
            for row in await conn.fetch("SELECT staff_id, roles, active FROM staff_accounts ORDER BY staff_id"):
                print(f"{row['staff_id']}\t{','.join(row['roles'])}\t{'active' if row['active'] else 'disabled'}")
        return 0
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.collection", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the API and consumers (the default)")
    staff = commands.add_parser("staff", help="manage staff accounts")
    actions = staff.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create or reset an account (password from --password-env or stdin)")
    add.add_argument("staff_id")
    add.add_argument("--name", help="display name")
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in StaffRole])
    add.add_argument("--password-env", help="read the password from this environment variable")
    disable = actions.add_parser("disable", help="disable an account: its tokens stop working at once")
    disable.add_argument("staff_id")
    actions.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)
    settings = CollectionSettings()
    if args.command == "staff":
        return asyncio.run(_staff(args, settings))
    serve("services.collection.app:create_app", settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
