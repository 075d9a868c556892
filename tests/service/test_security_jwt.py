"""JWTs at the service: `imgrepl serve --oidc-issuer --oidc-audience
--oidc-jwks` trusts an issuer made by this test (a key pair and a JWKS
file).  A JWT it signed proves its `oid`, which then holds its role
assignments; one signed by another key, for another audience, expired, or
with `alg: none` is refused with 401 InvalidAuthenticationToken and
changes nothing."""

from __future__ import annotations

import base64
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.gallery import catalog_state, cli
from helpers.service import RG, SUB, Served, Tls, serve_argv, start_serve

ISSUER = "https://login.example.test/tenant/v2.0"
AUDIENCE = "api://imgrepl-test"
OID = "11111111-2222-3333-4444-555555555555"
BASE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries"
API = "api-version=2026-03-03"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {n: rsa.generate_private_key(public_exponent=65537, key_size=2048) for n in "ab"}


@pytest.fixture
def oidc_served(home: Path, tls: Tls, keys: dict[str, Any], tmp_path: Path) -> Iterator[Served]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys["a"].public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig"}]}))
    argv = serve_argv(home, tls, "--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE,
                      "--oidc-jwks", str(jwks))  # fmt: skip
    server = start_serve(argv)
    try:
        yield server
    finally:
        assert server.stop() == 0, server.output()


def signed(key: Any, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s", "oid": OID, "iat": now,
              "nbf": now, "exp": now + 600} | changes  # fmt: skip
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def unsigned() -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "oid": OID, "exp": now + 600}
    return f"{b64({'alg': 'none', 'kid': 'k1'})}.{b64(claims)}."


def test_jwts_of_the_trusted_issuer_only(
    home: Path, oidc_served: Served, tls: Tls, keys: dict[str, Any]
) -> None:
    cli(home, "role", "assignment", "create", "--assignee", OID, "--role", "Contributor",
        "--scope", f"/subscriptions/{SUB}")  # fmt: skip
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    body = {"location": "westeurope"}
    with httpx.Client(base_url=oidc_served.url, verify=ctx, timeout=60) as http:
        good = {"Authorization": f"Bearer {signed(keys['a'])}"}
        assert http.put(f"{BASE}/G?{API}", json=body, headers=good).status_code == 201
        before = catalog_state(home)
        for token in (
            signed(keys["b"]),  # another key
            signed(keys["a"], aud="api://someone-else"),
            signed(keys["a"], iss="https://evil.example/v2.0"),
            signed(keys["a"], exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200),
            unsigned(),
        ):
            r = http.put(
                f"{BASE}/G2?{API}", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert r.status_code == 401, r.text
            assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
            assert token not in r.text
        assert catalog_state(home) == before
        r = http.get(f"{BASE}/G?{API}", headers=good)
        assert r.status_code == 200 and r.json()["name"] == "G"
