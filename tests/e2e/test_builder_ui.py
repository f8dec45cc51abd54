"""The scenario builder in a real browser (Debian's chromium via Playwright, as
test_dashboard.py): compose a scenario from a registry measure, an ad-hoc shock, a lever and
a parameter; an invalid good and an invalid lever are shown at once, each beside its field;
once fixed, validate, run it, find
it among the stored runs, download the YAML and run it with `econsec simulate`.
Pasted YAML with a mistake names the key and its line. Screenshots in tests/e2e/artifacts/
(builder-error.png, builder-valid.png, builder-yaml-error.png, builder-run.png)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_dashboard import ARGS, ARTIFACTS, CHROMIUM, Server, _ready

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium missing: apt-get install -y chromium"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "runs.duckdb")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def test_build_validate_run_download(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400},
                                    accept_downloads=True)
            _ready(page, server.url)
            expect(page.locator("body[data-builder='1']")).to_have_count(1, timeout=30_000)
            page.fill("#b-name", "e2e_built")
            page.fill("#b-title", "Gallium licences and a graphite ban (built in the UI)")
            page.fill("#b-start", "2026-01-01")
            page.fill("#b-horizon", "90")
            page.select_option("#b-measure-pick", "chn_2023_gallium_germanium")
            page.click("#b-add-measure")
            measure = page.locator("#b-measures .b-row").first
            measure.locator("[data-key='intensity']").fill("0.9")
            page.click("#b-add-shock")
            shock = page.locator("#b-shocks .b-row").first
            shock.locator("[data-key='imposers']").fill("CHN")
            shock.locator("[data-key='targets']").fill("JPN, KOR")
            shock.locator("[data-key='goods']").fill("graphite_natural, unobtainium")
            page.click("button[data-add-lever='stockpile']")
            lever = page.locator("#b-levers .b-row").first
            lever.locator("[data-key='economies']").fill("KOR")
            lever.locator("[data-key='goods']").fill("gallium")
            lever.locator("[data-key='days']").fill("-5")  # a second mistake
            page.click("#b-add-param")
            param = page.locator("#b-params .b-row").first
            param.locator("[data-key='name']").select_option("inventory_days")
            param.locator("[data-key='dist']").select_option("triangular")
            param.locator("[data-key='args']").fill("15, 45, 90")

            # an unknown good and negative stockpile days: both errors at once, each beside
            # its field
            page.click("#b-validate")
            err = shock.locator(".field-error")
            expect(err).to_contain_text("unknown good 'unobtainium'", timeout=30_000)
            assert "shocks[0].goods" in err.inner_text()
            assert "invalid" in (shock.locator("[data-key='goods']").get_attribute("class")
                                 or "")
            expect(lever.locator(".field-error")).to_contain_text("levers.stockpile[0].days")
            assert "2 problems" in page.locator("#b-summary").inner_text()
            page.locator("#builder-panel").screenshot(path=str(ARTIFACTS / "builder-error.png"))

            shock.locator("[data-key='goods']").fill("graphite_natural")
            lever.locator("[data-key='days']").fill("60")
            page.click("#b-validate")
            expect(page.locator("#b-yaml")).to_contain_text("name: e2e_built", timeout=30_000)
            assert page.locator("#builder-panel span.field-error").count() == 0
            text = page.locator("#b-yaml").inner_text()
            assert "chn_2023_gallium_germanium" in text and "args: [15, 45, 90]" in text
            assert "Valid" in page.locator("#b-summary").inner_text()
            page.locator("#builder-panel").screenshot(path=str(ARTIFACTS / "builder-valid.png"))

            with page.expect_download() as dl:
                page.click("#b-download")
            assert dl.value.suggested_filename == "e2e_built.yaml"
            yaml_path = tmp_path / "e2e_built.yaml"
            dl.value.save_as(yaml_path)

            # the same text pasted with a mistake: the error names the key and its line
            page.click("#b-text-box summary")
            page.fill("#b-yaml-text", yaml_path.read_text().replace("intensity: 0.9",
                                                                    "intensity: lots"))
            page.click("#b-validate-text")
            text_err = page.locator("#b-text-error")
            expect(text_err).to_contain_text("measures[0].intensity", timeout=30_000)
            line = 1 + yaml_path.read_text().splitlines().index(
                "- {id: chn_2023_gallium_germanium, intensity: 0.9}")
            assert f"YAML line {line}" in text_err.inner_text()
            page.locator("#builder-panel").screenshot(
                path=str(ARTIFACTS / "builder-yaml-error.png"))

            page.fill("#b-runs", "5")
            page.click("#b-run")
            expect(page.locator("#run-status")).to_contain_text("done", timeout=180_000)
            expect(page.locator("#run-chart svg")).to_have_count(1, timeout=30_000)
            assert "e2e_built" in page.locator("#run-sources").inner_text()
            expect(page.locator("#stored-table tbody tr").first).to_contain_text(
                "e2e_built", timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "builder-run.png"), full_page=True)
        finally:
            browser.close()
    assert yaml_path.read_text().startswith("name: e2e_built\n")
    # the downloaded YAML loads and runs with the CLI
    out = subprocess.run(
        [sys.executable, "-c", "from econsec.cli.app import main; main()", "simulate",
         str(yaml_path), "--runs", "2", "--no-store"], capture_output=True, text=True,
        timeout=600)
    assert out.returncode == 0, out.stderr
    listed = subprocess.run(
        [sys.executable, "-c", "from econsec.cli.app import main; main()", "runs", "list",
         "--db", str(server.db), "--format", "csv"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("e2e_built") == 1
