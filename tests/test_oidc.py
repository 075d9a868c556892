"""OIDC JWTs at the Authenticator: key pairs made here, their JWKS served
from a file or a loopback HTTP server; a signature, issuer, audience or
lifetime that does not hold, `alg: none` and HS256 signed with the public
key are each refused with 401 InvalidAuthenticationToken."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import strategies as st
from imgrepl.api.identity import Authenticator
from imgrepl.api.oidc import OidcConfig
from imgrepl.catalog import open_catalog
from imgrepl.exceptions import AuthenticationError, ValidationError
from imgrepl.gallery.identity import Identity

ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "api://imgrepl"
OID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def _jwk(key: Any, kid: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else (
        jwt.algorithms.ECAlgorithm)  # fmt: skip
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "other": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


@pytest.fixture
def jwks(tmp_path: Path, keys: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(keys["rsa"], "r1"), _jwk(keys["ec"], "e1")]}))
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Any]:
    c = open_catalog(tmp_path / "home")
    yield c
    c.close()


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "pairwise-sub", "oid": OID,
              "iat": now, "nbf": now, "exp": now + 600}  # fmt: skip
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: Any, kid: str, alg: str = "RS256", **changes: Any) -> str:
    return jwt.encode(_claims(**changes), key, algorithm=alg, headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _handmade(header: dict[str, Any], signature: bytes | None = None, key: bytes = b"") -> str:
    """A JWT no library would sign: `alg: none`, or HMAC keyed with a public key."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(_claims()).encode())
    if signature is None:
        signature = hmac.new(key, head.encode(), hashlib.sha256).digest() if key else b""
    return head + "." + _b64(signature)


def _check(catalog: Any, jwks: Path | str, token: str, audience: str = AUDIENCE) -> Identity:
    auth = Authenticator(catalog, OidcConfig(ISSUER, audience, str(jwks)))
    return auth.check(f"Bearer {token}")


def _refused(catalog: Any, jwks: Path | str, token: str, reason: str) -> None:
    with pytest.raises(AuthenticationError, match=reason) as caught:
        _check(catalog, jwks, token)
    assert caught.value.code == "InvalidAuthenticationToken" and caught.value.status == 401
    assert token not in str(caught.value)


def test_rs256_and_es256_prove_the_oid_else_the_sub(catalog: Any, jwks: Path, keys: Any) -> None:
    assert _check(catalog, jwks, _sign(keys["rsa"], "r1")) == Identity(OID, "oidc")
    assert _check(catalog, jwks, _sign(keys["ec"], "e1", "ES256")) == Identity(OID, "oidc")
    token = _sign(keys["rsa"], "r1", oid=None, sub="ci-bot@example.test")
    assert _check(catalog, jwks, token) == Identity("ci-bot@example.test", "oidc")
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert _check(catalog, jwks, _sign(keys["rsa"], "r1", tid=tenant)).tenant == tenant


def test_bad_signature_issuer_audience_or_lifetime_is_refused(
    catalog: Any, jwks: Path, keys: Any
) -> None:
    now = int(time.time())
    good = _sign(keys["rsa"], "r1")
    head, _, sig = good.split(".")
    tampered = f"{head}.{_b64(json.dumps(_claims(oid='someone-else')).encode())}.{sig}"
    for token, reason in (
        (_sign(keys["other"], "r1"), "Signature verification failed"),  # a key not the issuer's
        (tampered, "Signature verification failed"),
        (_sign(keys["rsa"], "r1", iss="https://evil.example.test/"), "Invalid issuer"),
        (_sign(keys["rsa"], "r1", aud="api://someone-else"), "Audience doesn't match"),
        (_sign(keys["rsa"], "r1", exp=now - 120), "has expired"),
        (_sign(keys["rsa"], "r1", nbf=now + 600), "not yet valid"),
        (_sign(keys["rsa"], "r1", exp=None), 'missing the "exp" claim'),
        (_sign(keys["rsa"], "r1", aud=None), 'missing the "aud" claim'),
        (_sign(keys["rsa"], "r9"), "no key 'r9'"),
        (_sign(keys["rsa"], "r1", oid=None, sub=None), "no oid or sub"),
        (_sign(keys["rsa"], "r1", oid="../../etc/passwd"), "not a valid name"),
        (_sign(keys["ec"], "r1", "ES256"), "not a key for ES256"),  # the RSA key's kid
        ("e30.e30.e30", "not accepted"),  # {} headers: no alg at all
    ):
        _refused(catalog, jwks, token, reason)
    assert _check(catalog, jwks, _sign(keys["rsa"], "r1", exp=now - 30)).principal == OID  # leeway


def test_a_remembered_jwt_still_expires(catalog: Any, jwks: Path, keys: Any) -> None:
    auth = Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, str(jwks), leeway=0))
    exp = int(time.time()) + 2
    token = f"Bearer {_sign(keys['rsa'], 'r1', exp=exp)}"
    for _ in range(3):
        assert auth.check(token).principal == OID
    time.sleep(max(0.0, exp - time.time()) + 0.1)
    with pytest.raises(AuthenticationError, match="has expired"):
        auth.check(token)


def test_alg_none_and_hmac_keyed_with_the_public_key_are_refused(
    catalog: Any, tmp_path: Path, keys: Any
) -> None:
    public = (
        keys["rsa"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # an HMAC key in the JWKS too: an attacker's token must not select it
    oct_jwk = {"kty": "oct", "kid": "h1", "k": _b64(public)}
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"keys": [_jwk(keys["rsa"], "r1"), oct_jwk]}))
    for token in (
        _handmade({"alg": "none", "typ": "JWT", "kid": "r1"}),
        _handmade({"alg": "None", "kid": "r1"}),
        _handmade({"alg": "HS256", "kid": "r1"}, key=public),
        _handmade({"alg": "HS256", "kid": "h1"}, key=public),
        _handmade({"alg": "RS256", "kid": "h1"}, signature=b"x" * 256),
    ):
        with pytest.raises(AuthenticationError) as caught:
            _check(catalog, path, token)
        assert caught.value.code == "InvalidAuthenticationToken"
        assert "not accepted" in str(caught.value) or "not a key for" in str(caught.value)


class _Jwks(http.server.BaseHTTPRequestHandler):
    body = b""
    hits = 0
    stall = 0.0  # seconds before answering (a stalling issuer)

    def do_GET(self) -> None:
        type(self).hits += 1
        time.sleep(self.stall)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serving(body: bytes, stall: float = 0.0) -> Iterator[str]:
    _Jwks.body, _Jwks.hits, _Jwks.stall = body, 0, stall
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/keys"
    finally:
        server.shutdown()
        server.server_close()


def test_rotated_keys_are_fetched_again_but_made_up_key_ids_do_not_hammer_the_issuer(
    catalog: Any, keys: Any
) -> None:
    first = json.dumps({"keys": [_jwk(keys["rsa"], "r1")]}).encode()
    with _serving(first) as url:
        auth = Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, url))
        assert auth.oidc is not None
        auth.oidc.REFRESH_EVERY = 0.5
        assert auth.check(f"Bearer {_sign(keys['rsa'], 'r1')}").principal == OID
        for n in range(20):  # unknown key ids: refused from the keys at hand
            with pytest.raises(AuthenticationError, match="no key"):
                auth.check(f"Bearer {_sign(keys['other'], f'made-up-{n}')}")
        assert _Jwks.hits == 1
        _Jwks.body = json.dumps({"keys": [_jwk(keys["other"], "r2")]}).encode()  # rotated
        time.sleep(0.6)
        assert auth.check(f"Bearer {_sign(keys['other'], 'r2')}").principal == OID
        assert _Jwks.hits == 2
        with pytest.raises(AuthenticationError, match="no key 'r1'"):  # the old key is gone
            auth.check(f"Bearer {_sign(keys['rsa'], 'r1')}")


def test_a_stalling_or_lying_jwks_endpoint_is_a_401_not_a_hang(catalog: Any, keys: Any) -> None:
    token = f"Bearer {_sign(keys['rsa'], 'r1')}"
    with _serving(b"{}", stall=3.0) as url:
        auth = Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, url, jwks_timeout=0.3))
        started = time.monotonic()
        with pytest.raises(AuthenticationError, match="cannot be fetched"):
            auth.check(token)
        assert time.monotonic() - started < 2.5  # the timeout, not the stall
    for body in (b"not json", b"[1, 2]", b'{"keys": "x"}', b'{"keys": [{"kty": "oct"}]}'):
        with _serving(body) as url:
            auth = Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, url))
            with pytest.raises(AuthenticationError) as caught:
                auth.check(token)
            assert caught.value.code == "InvalidAuthenticationToken"


@hypothesis.settings(max_examples=300, suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(
    header=st.one_of(
        st.none(),
        st.text(max_size=300),
        st.builds(lambda t: f"Bearer {t}", st.text(max_size=300)),
        st.builds(
            lambda a, b, c: f"Bearer {a}.{b}.{c}",
            *[st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-_=", max_size=80)] * 3,
        ),
        st.builds(lambda t: f"Bearer imgrepl_{t}", st.text(max_size=60)),
    )
)
def test_any_header_is_proven_or_refused_with_a_401_never_an_other_error(
    jwks_catalog: tuple[Authenticator, str], header: str | None
) -> None:
    auth, _ = jwks_catalog
    with pytest.raises(AuthenticationError) as caught:
        auth.check(header)
    assert caught.value.code in ("AuthenticationFailed", "InvalidAuthenticationToken")
    if header and len(header) > 12:
        assert header.split(" ", 1)[-1] not in str(caught.value)


@pytest.fixture(scope="module")
def jwks_catalog(tmp_path_factory: pytest.TempPathFactory, keys: Any) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(keys["rsa"], "r1")]}))
    catalog = open_catalog(tmp / "home")
    yield Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, str(path))), str(path)
    catalog.close()


def test_jwks_from_a_loopback_endpoint_and_only_https_elsewhere(
    catalog: Any, jwks: Path, keys: Any
) -> None:
    _Jwks.body, _Jwks.hits = jwks.read_bytes(), 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/keys"
        auth = Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, url))
        for _ in range(3):
            assert auth.check(f"Bearer {_sign(keys['ec'], 'e1', 'ES256')}").principal == OID
        assert _Jwks.hits == 1  # the keys are cached, not fetched per request
        with pytest.raises(AuthenticationError, match="Signature verification failed"):
            auth.check(f"Bearer {_sign(keys['other'], 'r1')}")
    finally:
        server.shutdown()
        server.server_close()
    down = Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, url))
    with pytest.raises(AuthenticationError, match="cannot be fetched"):
        down.check(f"Bearer {_sign(keys['rsa'], 'r1')}")
    with pytest.raises(ValidationError, match="plain http is allowed only on a loopback"):
        Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, "http://keys.example.test/jwks"))
    with pytest.raises(ValidationError, match="not a JWKS"):
        Authenticator(catalog, OidcConfig(ISSUER, AUDIENCE, str(jwks.parent / "missing.json")))


def test_a_jwt_is_refused_when_no_issuer_is_trusted(catalog: Any, keys: Any) -> None:
    with pytest.raises(AuthenticationError, match="trusts no OIDC issuer") as caught:
        Authenticator(catalog).check(f"Bearer {_sign(keys['rsa'], 'r1')}")
    assert caught.value.code == "InvalidAuthenticationToken"


def test_the_oidc_arguments_come_all_three_or_not_at_all(jwks: Path) -> None:
    import argparse

    from imgrepl.cli.oidc import add_oidc_args, oidc_config

    p = argparse.ArgumentParser()
    add_oidc_args(p)
    assert oidc_config(p.parse_args([])) is None
    full = ["--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE, "--oidc-jwks", str(jwks)]
    assert oidc_config(p.parse_args(full)) == OidcConfig(ISSUER, AUDIENCE, str(jwks))
    with pytest.raises(ValidationError, match="OIDC needs --oidc-audience, --oidc-jwks"):
        oidc_config(p.parse_args(full[:2]))
