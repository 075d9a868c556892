"""The status page tests' site: a home with regions (one whose store is
broken, so its region fails), `imgrepl serve` on it over TLS, tokens made
with `imgrepl token create`, and signing in as a person does."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from helpers.gallery import OWNER, cli, run, setup_home
from helpers.service import Served, Tls, make_tls, serve_argv, start_serve

XSS_DESCRIPTION = '<img src=x onerror="window.__xss=1"> Ubuntu <b>LTS</b>'
XSS_TAG = "<script>window.__xss=2</script>"


@dataclass
class Site:
    home: Path
    tls: Tls
    served: Served
    secrets: list[str] = field(default_factory=list)  # never in the server's output

    @property
    def url(self) -> str:
        return self.served.url

    def token(self, principal: str, expires_in: str = "1h") -> tuple[str, str]:
        """A new token of `principal` and its id."""
        made = self.cli("token", "create", "--principal", principal, "--expires-in", expires_in)
        return made["token"], made["id"]

    def cli(self, *args: str) -> Any:
        """`imgrepl ARGS` as the home's owner, on a thread of its own: the
        browser's driver runs an event loop on this one."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(cli, self.home, *args).result()


def make_home(root: Path) -> Path:
    """Regions westeurope, eastus and northeurope (whose store sits under a
    regular file, so every copy to it fails) and G/D owned by OWNER."""
    home = root / "home"
    blocker = root / "blocked"
    stores = {"westeurope": root / "we", "eastus": root / "us", "northeurope": blocker / "store"}
    run(setup_home(home, stores))
    blocker.write_text("a file where the store's parent directory should be")
    return home


@contextmanager
def serving(home: Path, root: Path, *extra: str) -> Iterator[Site]:
    """`imgrepl serve` on the home (TLS from a trustme CA), stopped after;
    a clean stop that printed no traceback is part of every test."""
    tls = make_tls(root / "tls")
    served = start_serve(serve_argv(home, tls, *extra), env={"IMGREPL_PRINCIPAL": OWNER})
    site = Site(home, tls, served)
    try:
        yield site
    finally:
        code = served.stop()
        printed = served.output()
        assert code == 0 and "Traceback" not in printed, printed
        assert not [s for s in site.secrets if s in printed], "a token was printed"


def sign_in(page: Page, site: Site, token: str) -> None:
    """Opens the page and signs in as a person does: type, press the button."""
    page.goto(site.url + "/")
    page.locator("#token").fill(token)
    page.locator("#signin button[type=submit]").click()
