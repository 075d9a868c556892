"""Opaque access tokens: made by the home's owner, printed once, stored as a
hash; the Authenticator proves a request's principal from one, and refuses
missing, malformed, forged, expired and revoked ones with ARM's 401 codes.
A proven principal holds its roles only: never the home's owner."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from helpers.gallery import OWNER, catalog_of, catalog_state, cli, cli_run, run
from imgrepl import Client
from imgrepl.api.identity import TOKEN_TTL, Authenticator
from imgrepl.exceptions import AuthenticationError, AuthorizationError
from imgrepl.gallery.identity import Identity


def _authenticate(home: Path, header: str | None, *, at: float | None = None) -> Identity:
    catalog = catalog_of(home)
    try:
        clock = time.time if at is None else (lambda: at)
        return run(Authenticator(catalog, clock=clock).authenticate(header))
    finally:
        catalog.close()


def _refused(home: Path, header: str | None, code: str, at: float | None = None) -> str:
    with pytest.raises(AuthenticationError) as caught:
        _authenticate(home, header, at=at)
    assert caught.value.code == code and caught.value.status == 401
    return str(caught.value)


def test_a_token_is_printed_once_kept_as_a_hash_and_proves_its_principal(
    definition: Path,
) -> None:
    made = cli(definition, "token", "create", "--principal", "ci", "--expires-in", "2h")
    secret = made["token"]
    assert secret.startswith("imgrepl_") and len(secret) == len("imgrepl_") + 43
    assert made["principal"] == "ci" and made["state"] == "Active"
    assert made["expiresOn"].endswith("Z")
    assert _authenticate(definition, f"Bearer {secret}") == Identity("ci", "token")
    assert _authenticate(definition, f"bearer  {secret} ") == Identity("ci", "token")

    listed = cli_run(definition, "token", "list", "--debug")
    assert listed.returncode == 0
    assert [t["id"] for t in listed.json()] == [made["id"]]
    dump = "\n".join(catalog_state(definition))
    for text in (listed.stdout, listed.stderr, dump):
        assert secret not in text and secret[8:] not in text
    assert hashlib.sha256(secret.encode()).hexdigest() in dump  # what is kept instead

    debug = cli_run(definition, "token", "create", "--principal", "ci", "--debug")
    other = debug.json()
    assert other["token"] != secret and other["id"] != made["id"]
    assert "running the request" in debug.stderr and other["token"] not in debug.stderr
    assert len(cli(definition, "token", "list", "--principal", "ci")) == 2
    assert cli(definition, "token", "list", "--principal", "nobody") == []


def test_revoked_expired_and_forged_tokens_prove_nothing(definition: Path) -> None:
    made = cli(definition, "token", "create", "--principal", "ci", "--expires-in", "1h")
    secret, header = made["token"], f"Bearer {made['token']}"
    later = time.time() + 3600 + 1
    message = _refused(definition, header, "InvalidAuthenticationToken", at=later)
    assert "expired" in message and secret not in message
    assert _authenticate(definition, header, at=later - 10).principal == "ci"

    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for bad in (forged, "imgrepl_" + "x" * 43):
        message = _refused(definition, f"Bearer {bad}", "InvalidAuthenticationToken")
        assert "no such token" in message and bad not in message
    for bad in ("hunter2", "a.b", secret + "x"):
        message = _refused(definition, f"Bearer {bad}", "InvalidAuthenticationToken")
        assert bad not in message

    revoked = cli(definition, "token", "revoke", made["id"])
    assert revoked["state"] == "Revoked" and "token" not in revoked
    assert "revoked" in _refused(definition, header, "InvalidAuthenticationToken")
    again = cli(definition, "token", "revoke", made["id"])  # no-op, first time kept
    assert again["revokedOn"] == revoked["revokedOn"]
    failed = cli_run(definition, "token", "revoke", "tok-nope")
    assert failed.returncode == 1 and "token 'tok-nope' not found" in failed.stderr


def test_missing_or_malformed_headers_fail_authentication(definition: Path) -> None:
    secret = cli(definition, "token", "create", "--principal", "ci")["token"]
    for header in (None, "", "   "):
        assert "no Authorization header" in _refused(definition, header, "AuthenticationFailed")
    for header in (secret, f"Basic {secret}", "Bearer", "Bearer  ", f"Bearer {secret} extra"):
        message = _refused(definition, header, "AuthenticationFailed")
        assert "malformed" in message and secret not in message
    huge = "Bearer " + "eyJ" + "A" * 100_000 + ".x.y"
    assert "longer than" in _refused(definition, huge, "AuthenticationFailed")


def test_only_the_owner_makes_tokens_and_bad_input_changes_nothing(definition: Path) -> None:
    before = catalog_state(definition)
    for argv, error in (
        (["create", "--principal", "ci"], "may not create tokens: only the home's owner"),
        (["list"], "may not list tokens"),
        (["revoke", "tok-x"], "may not revoke tokens"),
    ):
        refused = cli_run(definition, "token", *argv, principal="mallory")
        assert refused.returncode == 1 and error in refused.stderr
    for expires, error in (("0s", "invalid duration '0s'"), ("367d", "up to 366d"),
                           ("1y", "invalid duration"), ("-1h", "invalid duration")):  # fmt: skip
        bad = cli_run(definition, "token", "create", "--principal", "ci", f"--expires-in={expires}")
        assert bad.returncode == 1 and error in bad.stderr, bad.stderr
    bad = cli_run(definition, "token", "create", "--principal", "../etc")
    assert bad.returncode == 1 and "invalid principal '../etc'" in bad.stderr
    assert catalog_state(definition) == before


def test_a_proven_principal_is_not_the_owner_whatever_its_name(definition: Path) -> None:
    """A token for a principal named like the owner gets that name's roles
    (none), not the owner's rights."""
    secret = cli(definition, "token", "create", "--principal", OWNER)["token"]
    identity = _authenticate(definition, f"Bearer {secret}")
    assert identity == Identity(OWNER, "token")

    async def go() -> None:
        async with Client(definition, identity=identity) as c:
            with pytest.raises(AuthorizationError, match=r"needs role Contributor"):
                await c.create_gallery("H", "westeurope")
            with pytest.raises(AuthorizationError, match=r"only the home's owner"):
                await c.create_token("x")
            assert await c.list_galleries() == []
        with pytest.raises(ValueError, match=r"not both"):
            Client(definition, principal=OWNER, identity=identity)

    run(go())


def test_a_proven_principal_never_becomes_the_owner_of_a_new_home(home: Path) -> None:
    async def first() -> None:
        async with Client(home, identity=Identity("mallory", "token")) as c:
            assert await c.list_galleries() == []
            with pytest.raises(AuthorizationError, match=r"only the home's owner"):
                await c.add_region("x", str(home.parent / "x"))
        async with Client(home, principal="alice") as c:  # the local user, first
            assert (await c.list_regions()) == []
            await c.set_limits(await c.get_limits())  # alice owns it

    run(first())


@pytest.mark.sqlite_only  # two homes with catalogs of their own
def test_a_token_of_another_home_proves_nothing_here(tmp_path: Path) -> None:
    from imgrepl.catalog import open_catalog

    async def make(home: Path) -> str:
        async with Client(home, principal=OWNER) as c:
            return (await c.create_token("ci")).token

    theirs, ours = run(make(tmp_path / "a")), run(make(tmp_path / "b"))
    catalog = open_catalog(tmp_path / "b")
    try:
        auth = Authenticator(catalog)
        assert auth.check(f"Bearer {ours}").principal == "ci"
        with pytest.raises(AuthenticationError, match="no such token") as caught:
            auth.check(f"Bearer {theirs}")
        assert caught.value.code == "InvalidAuthenticationToken"
    finally:
        catalog.close()


def test_a_token_read_lately_is_believed_for_the_ttl_only_and_never_past_its_expiry(
    definition: Path,
) -> None:
    """The Authenticator reads a token once per TOKEN_TTL: a revocation (here
    by the CLI, another process) takes effect within it; expiry at once."""
    made = cli(definition, "token", "create", "--principal", "ci", "--expires-in", "1h")
    header = f"Bearer {made['token']}"
    catalog = catalog_of(definition)
    expires = catalog.tokens.all("ci")[0].expires
    now = [expires - 60.0]
    auth = Authenticator(catalog, clock=lambda: now[0])
    try:
        assert run(auth.authenticate(header)) == Identity("ci", "token")
        cli(definition, "token", "revoke", made["id"])
        now[0] += TOKEN_TTL * 0.9
        assert run(auth.authenticate(header)) == Identity("ci", "token")  # read lately
        now[0] += TOKEN_TTL * 0.1
        with pytest.raises(AuthenticationError, match=r"is revoked"):
            run(auth.authenticate(header))

        other = cli(definition, "token", "create", "--principal", "cd", "--expires-in", "1h")
        header = f"Bearer {other['token']}"
        expires = next(t for t in catalog.tokens.all("cd")).expires
        now[0] = expires - TOKEN_TTL / 2
        assert run(auth.authenticate(header)) == Identity("cd", "token")
        now[0] = expires  # still within the TTL of its last read
        with pytest.raises(AuthenticationError, match=r"is expired"):
            run(auth.authenticate(header))
    finally:
        catalog.close()
