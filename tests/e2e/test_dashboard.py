"""End to end in a real browser: Debian's chromium driven by Playwright (never a
downloaded browser). Starts `econsec serve` on a free port, runs the Japan -> Korea 2019
replay from the dashboard, downloads its CSV, restarts the server, finds the run among the
stored runs, runs a second one and compares the two; screenshots in tests/e2e/artifacts/
(run.png, compare.png, dashboard.png)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


class Server:
    """`econsec serve` in a child process over the store *db* (start, stop, restart)."""

    def __init__(self, db: Path) -> None:
        self.db, self.port = db, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from econsec.cli.app import main; main()", "serve",
             "--host", "127.0.0.1", "--port", str(self.port), "--db", str(self.db),
             "--workers", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
        for _ in range(600):
            try:
                if httpx.get(self.url + "/api/world", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode() if self.proc.stderr
                                   else "died")
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "runs.duckdb")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _ready(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/")
    expect(page.locator("body[data-ready='1']")).to_have_count(1, timeout=60_000)


def _run_in_ui(page: Any, scenario: str, runs: str, seed: str, horizon: str) -> None:
    from playwright.sync_api import expect

    page.select_option("#scenario", scenario)
    page.fill("#runs", runs)
    page.fill("#seed", seed)
    page.fill("#horizon", horizon)
    page.click("#run-btn")
    expect(page.locator("#run-status")).to_contain_text("done", timeout=180_000)
    expect(page.locator("#run-chart svg")).to_have_count(1, timeout=30_000)


def test_run_restart_find_compare(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400},
                                    accept_downloads=True)
            external: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(server.url) or
                    r.url.startswith(("blob:", "data:")) else external.append(r.url))
            _ready(page, server.url)
            expect(page.locator("#exposure-table tbody tr").first).to_be_visible()
            # a source id in a table links to its full citation
            link = page.locator("#exposure-table a.src-link").first
            target = link.get_attribute("href")
            assert target and target.startswith("#src-")
            link.click()
            expect(page.locator(target)).to_be_visible()

            _run_in_ui(page, "jpn_kor_2019", "20", "0", "200")
            chart = page.locator("#run-chart").inner_text()
            assert "jpn_kor_2019" in chart and "KOR" in chart
            assert "CHN battery" not in chart  # only what the scenario touches
            # the summary opens with the largest loss, and says how many zero rows it hides
            first = page.locator("#run-summary tbody tr").first.inner_text()
            assert "KOR" in first or "JPN" in first
            assert "rows with no loss are hidden" in page.locator("#run-summary-note").inner_text()
            expect(page.locator("#run-skill-box")).to_be_visible()
            assert "Calibration outcomes" in page.locator("#run-skill-note").inner_text()
            with page.expect_download() as dl:
                page.click("#dl-csv")
            csv_path = tmp_path / "run.csv"
            dl.value.save_as(csv_path)
            page.screenshot(path=str(ARTIFACTS / "run.png"), full_page=True)

            server.stop()  # the run is in the store, not in the server
            server.start()
            _ready(page, server.url)
            stored = page.locator("#stored-table tbody tr")
            expect(stored).to_have_count(1)
            assert "jpn_kor_2019" in stored.first.inner_text()
            page.locator("#stored-table a.open-run").first.click()
            expect(page.locator("#run-chart svg")).to_have_count(1, timeout=30_000)

            _run_in_ui(page, "jpn_kor_2019", "20", "7", "200")
            expect(page.locator("#stored-table tbody tr")).to_have_count(2, timeout=30_000)
            page.click("#compare-btn")
            expect(page.locator("#compare-box")).to_be_visible(timeout=30_000)
            expect(page.locator("#compare-a-chart svg")).to_have_count(1)
            expect(page.locator("#compare-b-chart svg")).to_have_count(1)
            title_a = page.locator("#compare-a-title").inner_text()
            title_b = page.locator("#compare-b-title").inner_text()
            assert "seed 0" in title_a and "seed 7" in title_b  # older A, newer B
            head = page.locator("#compare-table thead").inner_text()
            assert "loss_usd_bn_p50_a" in head and "loss_usd_bn_p50_b" in head
            page.locator("#stored-panel").screenshot(path=str(ARTIFACTS / "compare.png"))
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    ts = pd.read_csv(io.StringIO(csv_path.read_text()))
    assert list(ts.columns) == ["day", "economy", "good", "metric", "p5", "p50", "p95"]
    assert ts["day"].max() <= 200
    assert external == [], f"the dashboard fetched external URLs: {external}"
    # `econsec runs list` sees both dashboard runs
    listed = subprocess.run(
        [sys.executable, "-c", "from econsec.cli.app import main; main()", "runs", "list",
         "--db", str(server.db), "--format", "csv"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("jpn_kor_2019") == 2
