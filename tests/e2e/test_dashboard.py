"""End to end in a real browser: Debian's chromium driven by Playwright (never a
downloaded browser). Starts `econsec serve` on a free port, runs the Japan -> Korea 2019
replay from the dashboard, waits for its chart, downloads its CSV and checks it, and saves
a screenshot to tests/e2e/artifacts/dashboard.png."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium missing: apt-get install -y chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from econsec.cli.app import main; main()", "serve",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/world", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "died")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dashboard_runs_the_2019_replay(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400},
                                    accept_downloads=True)
            external: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(server) or
                    r.url.startswith(("blob:", "data:")) else external.append(r.url))
            page.goto(server + "/")
            expect(page.locator("body[data-ready='1']")).to_have_count(1, timeout=30_000)
            # exposure and chokepoint tables and the heat map are filled from the API
            expect(page.locator("#exposure-table tbody tr").first).to_be_visible()
            expect(page.locator("#heatmap svg")).to_have_count(1)
            assert "Sources:" in page.locator("#chokepoint-sources").inner_text()

            page.select_option("#scenario", "jpn_kor_2019")
            page.fill("#runs", "20")
            page.click("#run-btn")
            expect(page.locator("#run-chart svg")).to_have_count(1, timeout=120_000)
            assert "done" in page.locator("#run-status").inner_text()
            assert "jpn_kor_2019" in page.locator("#run-chart").inner_text()
            assert "jpn_kor_2019" in page.locator("#run-sources").inner_text()
            # the replay's documented outcomes beside the simulated ones
            expect(page.locator("#run-outcomes-box")).to_be_visible()
            outcomes = page.locator("#run-outcomes").inner_text()
            assert "hydrogen_fluoride" in outcomes and "-0.837" in outcomes
            # the summary lists the largest losses first
            first_loss = page.locator("#run-summary tbody tr").first.inner_text()
            assert "KOR" in first_loss or "JPN" in first_loss

            with page.expect_download() as dl:
                page.click("#dl-csv")
            csv_path = tmp_path / "run.csv"
            dl.value.save_as(csv_path)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    ts = pd.read_csv(io.StringIO(csv_path.read_text()))
    assert list(ts.columns) == ["day", "economy", "good", "metric", "p5", "p50", "p95"]
    assert {"availability", "output"} <= set(ts["metric"])
    assert ts["day"].max() == pytest.approx(549, abs=7)  # the replay's 550-day horizon
    kor = ts[(ts["economy"] == "KOR") & (ts["metric"] == "availability")]
    assert not kor.empty and kor["p50"].between(0, 1 + 1e-9).all()
    assert external == [], f"the dashboard fetched external URLs: {external}"
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
