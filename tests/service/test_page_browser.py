"""The status page in a real browser (Debian's chromium, driven by
Playwright) against a real `imgrepl serve` over TLS, as a person uses it:
sign in with a token, see galleries -> definitions -> versions, watch a
progress bar fill while a real replication runs, read a failed region's
details; a bad token is refused with a message, and names that look like
HTML stay text.  One server and one browser for the module."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import browser
from helpers.gallery import IDS, OWNER, cli_argv, cli_env, publish, run, vhd
from helpers.page import XSS_DESCRIPTION, XSS_TAG, Site, make_home, serving, sign_in
from imgrepl import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

# where a run may also leave its screenshot (the README's docs/status-page.png)
SCREENSHOT_ENV = "IMGREPL_PAGE_SCREENSHOT"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """G/D (its description and a tag try to inject HTML) with 1.0.0 copied
    to westeurope x2, eastus and the broken northeurope; gallery Hidden that
    alice may not see; alice holds Reader on G."""
    root = tmp_path_factory.mktemp("page")
    home = make_home(root)

    async def fill() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.update_image_definition("G", "D", {"description": XSS_DESCRIPTION})
            await c.create_image_definition(
                "G", "Tagged", publisher="acme", offer="os", sku="2", os_type="Linux",
                tags={"owner": XSS_TAG},
            )  # fmt: skip
            await c.create_gallery("Hidden", "eastus", description="not for alice")
            await publish(c, vhd(root / "small.vhd", 4), "westeurope=2", "eastus", "northeurope")
            await c.grant("alice", "Reader", "G")

    run(fill())
    with serving(home, root) as served:
        yield served


@pytest.fixture(scope="module")
def chromium(site: Site) -> Iterator[Browser]:
    with browser(site.tls.cert) as b:
        yield b


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: no cookie carries over."""
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def region_row(page: Page, version: str, region: str) -> Any:
    return page.locator(f'[data-version="{version}"] tr[data-region="{region}"]')


def test_bad_tokens_are_refused_with_a_visible_message(
    site: Site, page: Page, context: BrowserContext
) -> None:
    page.goto(site.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    error = page.locator("#signin-error")
    sign_in(page, site, "imgrepl_" + "x" * 43)  # a token's shape, but forged
    expect(error).to_contain_text("no such token")
    sign_in(page, site, "not a token")
    expect(error).to_contain_text("not a token")
    expired, _ = site.token("alice", "1s")
    page.wait_for_timeout(1500)  # past the token's one-second life
    sign_in(page, site, expired)
    expect(error).to_contain_text("expired")
    assert context.cookies() == []  # no session was made
    expect(page.locator(".gallery")).to_have_count(0)


def test_a_reader_sees_what_it_may_and_names_stay_text(
    site: Site, page: Page, context: BrowserContext
) -> None:
    token, _ = site.token("alice")
    asked: list[str] = []  # every URL the browser asks for
    page.on("request", lambda r: asked.append(r.url))
    sign_in(page, site, token)
    expect(page.locator("#principal")).to_have_text("alice")
    galleries = page.locator(".gallery h2")
    expect(galleries).to_have_text(["G"])  # not Hidden
    definitions = page.locator('[data-gallery="G"] .definition h3')
    expect(definitions).to_have_text(["D", "Tagged"])

    # what users typed is shown as they typed it, and nothing of it runs
    d = page.locator('[data-definition="D"]')
    expect(d.locator(".description")).to_have_text(XSS_DESCRIPTION)
    expect(page.locator('[data-definition="Tagged"] .tags li')).to_have_text([f"owner = {XSS_TAG}"])
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main script, main b").count() == 0
    expect(page.locator('[data-definition="Tagged"] .empty')).to_have_text("No versions.")

    # the version, region by region
    version = page.locator('[data-version="1.0.0"]')
    expect(version.locator(".badge")).to_have_text("Failed")
    west, east, north = (
        region_row(page, "1.0.0", r) for r in ("westeurope", "eastus", "northeurope")
    )
    expect(west.locator(".state")).to_have_text("Completed")
    expect(west.locator(".replicas")).to_have_text("2/2")
    expect(west.locator(".storage")).to_have_text("8.0 MiB")  # two 4 MiB replicas (+ footer)
    expect(east.locator(".egress")).to_have_text("4.0 MiB")
    bar = west.locator("progress")
    expect(bar).to_be_visible()  # drawn, as wide as a bar, and full
    assert (bar.bounding_box() or {}).get("width", 0) >= 40
    assert bar.evaluate("p => p.value") == 100
    expect(north.locator(".state")).to_have_text("Failed")
    expect(north.locator(".replicas")).to_have_text("0/1 (1 failed)")
    expect(north.locator(".details")).to_contain_text("store unreachable")
    assert north.locator("progress").evaluate("p => p.value") == 0

    # the token lives in an HttpOnly cookie only: not in the URL, not for scripts
    (cookie,) = context.cookies()
    assert cookie["value"] == token and cookie["name"].startswith("__Host-")
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")
    assert token not in page.url and page.evaluate("document.cookie") == ""
    # nothing is fetched from elsewhere, and no URL carries the token
    assert asked and all(u.startswith(site.url + "/") for u in asked), asked
    assert not [u for u in asked if token in u]

    # polls that bring nothing new leave the page as it is (a selection survives)
    page.evaluate("document.querySelector('[data-gallery=\"G\"]').dataset.seen = 'yes'")
    before = page.locator("#updated").inner_text()
    expect(page.locator("#updated")).not_to_have_text(before, timeout=10_000)
    expect(page.locator('[data-gallery="G"]')).to_have_attribute("data-seen", "yes")


def test_a_progress_bar_fills_while_a_real_replication_runs(
    site: Site, page: Page, tmp_path: Path
) -> None:
    token, _ = site.token("alice")
    sign_in(page, site, token)
    expect(page.locator("#principal")).to_have_text("alice")
    big = vhd(tmp_path / "big.vhd", 24)
    # 24 MiB read at 3 MB/s: several seconds of copying, in another process
    create = cli_argv(site.home, "sig", "image-version", "create", *IDS[:4], "-e", "2.0.0",
                      "-l", "westeurope", "--os-vhd", str(big), "--target-regions",
                      "westeurope", "eastus", "--cap-mbps", "3")  # fmt: skip
    proc = subprocess.Popen(
        create, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        east = region_row(page, "2.0.0", "eastus")
        shot = tmp_path / "status-page.png"  # mid-way, as a person would see it
        seen: list[int] = []
        # the page updates itself: no reload here, only reading what it shows
        for _ in range(600):
            if east.count():
                seen.append(int(east.locator("progress").evaluate("p => p.value")))
                if seen[-1] == 100:
                    break
                if 0 < seen[-1] < 100 and not shot.exists():
                    page.screenshot(path=str(shot), full_page=True)
            page.wait_for_timeout(100)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    partial = sorted({v for v in seen if 0 < v < 100})
    assert len(partial) >= 2, seen  # it moved while it ran, not only at the end
    assert seen == sorted(seen) and seen[-1] == 100
    assert shot.stat().st_size > 10_000
    if os.environ.get(SCREENSHOT_ENV):
        shutil.copyfile(shot, os.environ[SCREENSHOT_ENV])
    expect(east.locator(".state")).to_have_text("Completed")
    expect(page.locator('[data-version="2.0.0"] .badge')).to_have_text("Completed")
    # newest first
    expect(page.locator('[data-definition="D"] .version h4')).to_contain_text(["2.0.0", "1.0.0"])


def test_sign_out_and_a_revoked_token_end_the_session(
    site: Site, page: Page, context: BrowserContext
) -> None:
    token, token_id = site.token("alice")
    sign_in(page, site, token)
    expect(page.locator(".gallery")).to_have_count(1)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator(".gallery")).to_have_count(0)
    assert context.cookies() == []

    sign_in(page, site, token)
    expect(page.locator(".gallery")).to_have_count(1)
    site.cli("token", "revoke", token_id)
    # the next poll (every few seconds) finds the token revoked
    expect(page.locator("#signin-error")).to_contain_text("revoked", timeout=15_000)
    expect(page.locator(".gallery")).to_have_count(0)
    assert context.cookies() == []
