"""End to end in headless Chromium: a real HTTP server, a real Celery worker, a real browser.

Sign in, upload the sample, watch the progress finish, check that every chart canvas drew,
sort and filter a table, open a factory page, toggle dark mode, and save screenshots of the
dashboard in light and dark mode at desktop and phone widths under test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.builders import TEST_PASSWORD
from tests.conftest import REPO_ROOT, service_missing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CARBONTRACE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
AUDIT_SECONDS = 120

# Counts the pixels a 2D canvas actually painted (alpha > 0).
PAINTED_PIXELS_JS = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !canvas.width || !canvas.height) { return 0; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted += 1; } }
  return painted;
}"""


@pytest.fixture
def media_root(settings, shared_media) -> Path:
    # The live server, the worker process and this test must see the same files.
    settings.MEDIA_ROOT = str(shared_media)
    return shared_media


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not (REPO_ROOT / "static" / "vendor" / "chart.umd.min.js").exists():
        pytest.fail("static/vendor/ is missing: run `make vendor` (make test does it first)")
    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # database calls are still synchronous and safe, so Django is told not to refuse them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=DESKTOP, color_scheme="light")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def signed_in(page, live_server, configured_factors, officer):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", officer.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Overview')")
    return page


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_charts(page, ids: list[str]) -> None:
    for canvas_id in ids:
        page.wait_for_selector(f"#{canvas_id}[data-drawn='true']", state="attached")
        painted = page.evaluate(PAINTED_PIXELS_JS, canvas_id)
        assert painted > 500, f"chart {canvas_id} drew only {painted} pixels"


def upload(page, live_server, path: Path) -> None:
    page.goto(f"{live_server.url}/audits/upload/")
    page.set_input_files("#dropzone input[type=file]", str(path))
    assert path.name in page.inner_text("#drop-file")
    page.fill("input[name=reporting_year]", "2026")
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r"/audits/[0-9a-f-]{36}/"))


def test_from_sign_in_to_a_finished_dashboard(worker, signed_in, live_server, sample_csv, capsys):
    page = signed_in
    started = time.monotonic()
    upload(page, live_server, sample_csv)

    # The progress page polls the status JSON and turns into the dashboard by itself.
    stages = set()
    try:
        if page.query_selector("#job-progress"):
            stages.add(page.inner_text("#job-stage", timeout=1000))
    except PlaywrightError:
        pass  # the page already reloaded into the dashboard
    try:
        page.wait_for_selector("#chart-top", state="attached", timeout=AUDIT_SECONDS * 1000)
    except PlaywrightError:
        pytest.fail(f"The dashboard did not appear; worker log:\n{worker.read_text()}")
    elapsed = time.monotonic() - started
    assert page.inner_text("#job-status-badge") == "Succeeded"
    assert "50" in page.inner_text(".stats")

    wait_for_charts(page, ["chart-sectors", "chart-top", "chart-cumulative"])
    assert page.evaluate(
        "() => { const img = document.querySelector('.chart-figure img');"
        " return img.complete && img.naturalWidth > 100; }"
    )
    shot(page, "dashboard-desktop-light")

    # Sort by factory code, then filter by sector: the server does it, the URL keeps it.
    page.click("#results-table thead a:has-text('Factory')")
    page.wait_for_url(re.compile(r"sort=factory"))
    codes = page.eval_on_selector_all(
        "#results-table tbody td:first-child a", "links => links.map(a => a.textContent)"
    )
    assert codes == sorted(codes) and len(codes) == 25
    page.select_option("#filter-sector", "Textile")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"sector=Textile"))
    assert "sort=factory" in page.url
    sectors = page.eval_on_selector_all(
        "#results-table tbody td:nth-child(2)", "cells => cells.map(c => c.textContent.trim())"
    )
    assert sectors and set(sectors) == {"Textile"}
    shared_url = page.url

    # The tabs: violators, rejected rows, cleaning report.
    page.click(".tabs a:has-text('Cleaning report')")
    assert page.locator(".cleaning-steps tbody tr").count() == 10
    page.click(".tabs a:has-text('Violators')")
    assert page.locator("#results-table .status-exceeded").count() >= 1

    # A factory page with its monthly chart.
    page.goto(shared_url)
    page.click("#results-table tbody td:first-child a >> nth=0")
    page.wait_for_url(re.compile(r"/factories/\d+/"))
    chart_id = page.get_attribute(".chart-box canvas", "id")
    wait_for_charts(page, [chart_id])
    assert page.locator("#history-table tbody tr").count() == 1

    # The overview's globe: WebGL draws the factories; the list beside it stays.
    page.click("nav.site-nav a:has-text('Overview')")
    assert page.locator("#globe-list li").count() == 50
    page.wait_for_selector("#globe[data-ready='true']", state="attached")
    page.wait_for_timeout(500)
    from PIL import Image, ImageChops

    globe = Image.open(io.BytesIO(page.locator("#globe").screenshot())).convert("RGB")
    background = Image.new("RGB", globe.size, globe.getpixel((2, 2)))
    difference = ImageChops.difference(globe, background).convert("L")
    differing = difference.point(lambda value: 255 if value > 10 else 0).histogram()[255]
    assert differing > 0.1 * globe.width * globe.height, differing
    shot(page, "overview-desktop-light")

    # Dark mode: the toggle switches the theme and is remembered across pages.
    page.goto(shared_url.split("?")[0])
    wait_for_charts(page, ["chart-top"])
    assert page.get_attribute("html", "data-theme") == "light"
    background_js = "() => getComputedStyle(document.documentElement).backgroundColor"
    light_bg = page.evaluate(background_js)
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-theme") == "dark"
    assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
    page.reload()
    assert page.get_attribute("html", "data-theme") == "dark"
    assert (
        page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
        != light_bg
    )
    wait_for_charts(page, ["chart-sectors", "chart-top", "chart-cumulative"])
    shot(page, "dashboard-desktop-dark")

    # Phone width, dark then light.
    page.set_viewport_size(PHONE)
    page.reload()
    wait_for_charts(page, ["chart-sectors", "chart-top", "chart-cumulative"])
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "dashboard-phone-dark")
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-theme") == "light"
    page.reload()
    wait_for_charts(page, ["chart-sectors", "chart-top", "chart-cumulative"])
    shot(page, "dashboard-phone-light")

    assert page.errors == []
    with capsys.disabled():
        print(
            f"\nbrowser: upload -> dashboard in {elapsed:.1f} s (stages seen: "
            f"{', '.join(sorted(stages)) or 'none, it was quick'}); screenshots in {SCREENSHOTS}"
        )


def test_a_file_that_cannot_be_audited_shows_what_to_fix(
    worker, signed_in, live_server, missing_columns_csv
):
    page = signed_in
    upload(page, live_server, missing_columns_csv)
    page.wait_for_selector("text=The audit failed", timeout=AUDIT_SECONDS * 1000)
    message = page.inner_text(".card.failed")
    assert "energy_used_mwh" in message
    page.click(".card.failed a:has-text('Upload a corrected file')")
    page.wait_for_url(re.compile(r"/audits/upload/"))
    assert page.errors == []
