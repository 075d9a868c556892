"""The status page's HTTP side against a real `imgrepl serve` over TLS, as
an attacker would try it: sign-ins from another origin or as a form, bodies
too big or malformed, forged tokens, files outside the page's three; and
what every answer carries (a strict content policy, no caching).  The token
never shows in a URL, an answer to another request or the server's output."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.page import Site, make_home, serving

COOKIE = "__Host-imgrepl-token"
ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "api://imgrepl"


@pytest.fixture(scope="module")
def issuer_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, issuer_key: rsa.RSAPrivateKey) -> Iterator[Site]:
    """The server trusts an OIDC issuer whose key pair the test made."""
    root = tmp_path_factory.mktemp("page-http")
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(issuer_key.public_key()))
    jwks = root / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}))
    oidc = ["--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE, "--oidc-jwks", str(jwks)]
    with serving(make_home(root), root, *oidc) as served:
        yield served


def id_token(key: rsa.RSAPrivateKey, subject: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def http(site: Site) -> Iterator[httpx.Client]:
    tls = ssl.create_default_context(cafile=site.tls.ca_pem)
    with httpx.Client(base_url=site.url, verify=tls, timeout=30) as client:
        yield client


def signin(http: httpx.Client, site: Site, body: object, **headers: str) -> httpx.Response:
    return http.post("/page/signin", json=body, headers={"Origin": site.url, **headers})


def test_the_page_and_its_files_carry_a_strict_policy(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert '<script src="/page/static/page.js"' in page.text and "http" not in page.text
    for name, kind in (("page.js", "text/javascript"), ("page.css", "text/css")):
        got = http.get(f"/page/static/{name}")
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind)
    for path in (
        "index.html",
        "routes.py",
        "..%2Froutes.py",
        "..%2F..%2Fdata.py",
        "%2Fetc%2Fpasswd",
    ):
        assert http.get(f"/page/static/{path}").status_code == 404, path


def test_data_needs_a_signed_in_session(http: httpx.Client) -> None:
    r = http.get("/page/data")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
    r = http.get("/page/data", headers={"Cookie": f"{COOKIE}=imgrepl_{'y' * 43}"})
    assert r.status_code == 401 and "no such token" in r.json()["error"]["message"]
    assert COOKIE in r.headers.get("set-cookie", "")  # the dead session is cleared
    # a bearer header is the ARM API's way, not the page's
    r = http.get("/page/data", headers={"Authorization": f"Bearer imgrepl_{'y' * 43}"})
    assert r.status_code == 401


def test_sign_in_sets_a_host_only_http_only_strict_cookie(http: httpx.Client, site: Site) -> None:
    token, _ = site.token("alice")
    r = signin(http, site, {"token": token})
    assert r.status_code == 200 and r.json() == {"principal": "alice"}
    assert token not in r.text
    cookie = r.headers["set-cookie"]
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert cookie.startswith(f"{COOKIE}={token};")
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    data = http.get("/page/data")  # the client keeps the cookie, as a browser does
    assert data.status_code == 200 and data.json()["principal"] == "alice"
    assert [g["name"] for g in data.json()["galleries"]] == []  # alice holds no role
    assert data.headers["cache-control"] == "no-store" and token not in data.text
    # another site cannot sign the browser out either
    foreign = http.post("/page/signout", json={}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    assert http.get("/page/data").status_code == 200
    out = http.post("/page/signout", json={}, headers={"Origin": site.url})
    assert out.status_code == 204 and f'{COOKIE}=""' in out.headers["set-cookie"]
    assert http.get("/page/data").status_code == 401


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        ({"token": "T"}, {"Origin": "https://evil.example"}, 403, "status page itself"),
        ({"token": "T"}, {"Origin": "null"}, 403, "status page itself"),
        ("token=T", {"Content-Type": "application/x-www-form-urlencoded"}, 403, "page itself"),
        ('{"token": "T"}', {"Content-Type": "text/plain"}, 403, "page itself"),
        ("x" * 20_000, {"Content-Type": "application/json"}, 413, "over"),
        ("[" * 10_000, {"Content-Type": "application/json"}, 400, '{"token"'),
        ("{not json", {"Content-Type": "application/json"}, 400, '{"token"'),
        ('["T"]', {"Content-Type": "application/json"}, 400, '{"token"'),
        ({"token": 12}, {}, 400, "enter a token"),
        ({"token": "  "}, {}, 400, "enter a token"),
        ({"token": "a b\r\nSet-Cookie: x=1"}, {}, 401, "not a token"),
        ({"token": "imgrepl_" + "z" * 43}, {}, 401, "no such token"),
        ({"token": "e30.e30.c2ln"}, {}, 401, "invalid token"),
        ({"token": "a" * 5000}, {}, 401, "takes up to"),
    ],
    ids=["foreign-origin", "null-origin", "form", "text-plain", "oversized", "deep", "malformed",
         "not-object", "number", "blank", "header-injection", "forged", "jwt-garbage", "too-long"],
)  # fmt: skip
def test_refused_sign_ins_say_why_and_set_no_cookie(
    http: httpx.Client,
    site: Site,
    body: object,
    headers: dict[str, str],
    status: int,
    says: str,
) -> None:
    heads = {"Origin": site.url, **headers}
    if isinstance(body, str):
        r = http.post("/page/signin", content=body.encode(), headers=heads)
    else:
        r = http.post("/page/signin", json=body, headers=heads)
    assert r.status_code == status, r.text
    assert says in r.json()["error"]["message"]
    assert "set-cookie" not in r.headers
    assert "Traceback" not in r.text


def test_the_server_never_prints_a_token(http: httpx.Client, site: Site) -> None:
    token, _ = site.token("bob")
    assert signin(http, site, {"token": token}).status_code == 200
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert signin(http, site, {"token": forged}).status_code == 401
    assert http.get("/page/data").status_code == 200
    site.secrets.append(token)  # checked against everything it printed, once it stops


def test_an_oidc_token_signs_in_and_a_foreign_one_does_not(
    http: httpx.Client, site: Site, issuer_key: rsa.RSAPrivateKey
) -> None:
    token = id_token(issuer_key, "carol-oid")
    r = signin(http, site, {"token": token})
    assert r.status_code == 200 and r.json() == {"principal": "carol-oid"}
    assert http.get("/page/data").json()["principal"] == "carol-oid"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    http.cookies.clear()
    r = signin(http, site, {"token": id_token(other, "carol-oid")})
    assert r.status_code == 401 and "set-cookie" not in r.headers
    assert http.get("/page/data").status_code == 401
    site.secrets.append(token)
