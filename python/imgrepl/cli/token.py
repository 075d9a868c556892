"""`imgrepl token create|list|revoke`: the opaque tokens principals present
to the service (`Authorization: Bearer ...`); only the home's owner makes them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import home_command
from imgrepl.cli.parser import add_group

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

COLUMNS = ["id", "principal", "createdOn", "expiresOn", "state"]


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await c.create_token(a.principal_id, a.expires_in)


async def _list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_tokens(a.principal_id)


async def _revoke(c: Client, a: argparse.Namespace) -> Any:
    return await c.revoke_token(a.id)


def register(sub: Any, summary: str) -> None:
    cmds = add_group(
        sub,
        "token",
        summary,
        "Opaque access tokens: each proves one principal to `imgrepl serve` "
        "until it expires or is revoked.  The secret is printed once, at create; "
        "the home keeps only its SHA-256.",
    )
    create = home_command(
        cmds,
        "create",
        _create,
        columns=["token", *COLUMNS],
        help="make a token for a principal",
        description="Make a token for a principal and print it once (key `token`).  What "
        "the principal may do is decided by its role assignments.",
        example=[("A token for ci, valid a day.", "imgrepl token create --principal ci "
                  "--expires-in 1d -o json")],
    )  # fmt: skip
    create.add_argument(
        "--principal", "--principal-id", dest="principal_id", required=True, help="who it proves"
    )
    create.add_argument(
        "--expires-in",
        default="30d",
        metavar="DURATION",
        help="lifetime: a number and s, m, h, d or w, up to 366d (default 30d)",
    )
    listing = home_command(
        cmds,
        "list",
        _list,
        columns=COLUMNS,
        help="list tokens (never their secrets)",
        description="List the tokens with their principal, expiry and state.",
        example=[("Tokens of ci.", "imgrepl token list --principal ci")],
    )
    listing.add_argument(
        "--principal", "--principal-id", dest="principal_id", help="only this principal's"
    )
    revoke = home_command(
        cmds,
        "revoke",
        _revoke,
        columns=COLUMNS,
        help="revoke a token",
        description="Revoke a token by its id: it proves nothing from now on.",
        example=[("Revoke a token.", "imgrepl token revoke tok-0123456789abcdef")],
    )
    revoke.add_argument("id", help="the token's id (from create or list)")
