"""``python -m services.lawyer_gateway`` serves the firms' API; ``… firms add CODE --name NAME`` registers a firm;
``… clients add --firm CODE --lawyer ID --name NAME`` creates a lawyer's client credentials (the secret is printed
once, kept only as a hash); ``… clients rotate CLIENT_ID`` issues a new secret (the old one and every token
issued before stop working at once); ``… clients disable CLIENT_ID``."""

import argparse
import asyncio
import sys

from services.lawyer_gateway.settings import LawyerGatewaySettings
from shared.migrations import apply_migrations
from shared.serve import serve


async def _manage(args: argparse.Namespace, settings: LawyerGatewaySettings) -> int:
    import asyncpg

    from services.lawyer_gateway.app import MIGRATIONS
    from services.lawyer_gateway.store import add_client, add_firm, disable_client, rotate_secret

    apply_migrations(settings.database_url, MIGRATIONS)
    conn = await asyncpg.connect(settings.database_url)
    try:
        if args.command == "firms":
            await add_firm(conn, args.firm_code, args.name)
            print(f"firm {args.firm_code}")
        elif args.action == "add":
            if not await conn.fetchval("SELECT 1 FROM firms WHERE firm_code = $1", args.firm):
                print(f"no firm {args.firm} (python -m services.lawyer_gateway firms add {args.firm} --name …)",
                      file=sys.stderr)
                return 2
            client_id, secret = await add_client(conn, args.firm, args.lawyer, args.name)
            print(f"client_id={client_id}\nclient_secret={secret}")
        elif args.action == "rotate":
            secret = await rotate_secret(conn, args.client_id)
            if secret is None:
                print(f"no client {args.client_id}", file=sys.stderr)
                return 1
            print(f"client_id={args.client_id}\nclient_secret={secret}")
        elif not await disable_client(conn, args.client_id):
            print(f"no client {args.client_id}", file=sys.stderr)
            return 1
        else:
            print(f"client {args.client_id}: disabled")
        return 0
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.lawyer_gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the firms' API and the case projection (the default)")
    firms = commands.add_parser("firms", help="register a firm")
    firms.add_argument("action", choices=["add"])
    firms.add_argument("firm_code", help="the lawyer team's code in the assignment policy, e.g. lawyer_team_a")
    firms.add_argument("--name", required=True)
    clients = commands.add_parser("clients", help="manage a lawyer's client credentials")
    actions = clients.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add")
    add.add_argument("--firm", required=True)
    add.add_argument("--lawyer", required=True, help="the lawyer's id at the firm")
    add.add_argument("--name", required=True, help="display name")
    for name in ("rotate", "disable"):
        actions.add_parser(name).add_argument("client_id")
    args = parser.parse_args(argv)
    settings = LawyerGatewaySettings()
    if args.command in ("firms", "clients"):
        return asyncio.run(_manage(args, settings))
    serve("services.lawyer_gateway.app:create_app", settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
