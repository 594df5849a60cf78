"""`--dashboard` end to end: a real migration (which publishes its progress file), the dashboard
server as a real subprocess, its JSON API, and the page in headless Chromium (Playwright)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.history_support import Pair, history_pair, mapping

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


@dataclass
class Dashboard:
    url: str
    proc: subprocess.Popen[str]

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, Any]:
        req = urllib.request.Request(self.url.rstrip("/") + path, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                body = r.read().decode()
                return r.status, json.loads(body) if r.headers.get_content_type() == "application/json" else body
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read().decode() or "null")


def start_dashboard(pair: Pair, *args: str) -> Dashboard:
    cmd = [sys.executable, "-m", "c7to8.cli", "--dashboard", "--port", "0", "--config", str(pair.config()), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(pair.workdir))
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "dashboard: http" not in line:
        proc.kill()
        raise AssertionError(f"dashboard did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return Dashboard(line.split("dashboard: ", 1)[1].strip(), proc)


def stop(d: Dashboard) -> None:
    d.proc.terminate()
    try:
        d.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        d.proc.kill()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pair, Path]]:
    work = tmp_path_factory.mktemp("dashboard")
    progress = work / "progress.json"
    with history_pair("postgresql", work) as pair:
        r = pair.run("--history", "--progress-file", str(progress))
        assert r.returncode == 0, r.stderr[-3000:]
        yield pair, progress


@pytest.fixture(scope="module")
def dashboard(migrated: tuple[Pair, Path]) -> Iterator[Dashboard]:
    pair, progress = migrated
    d = start_dashboard(pair, "--progress-file", str(progress))
    yield d
    stop(d)


def test_run_publishes_progress_file(migrated: tuple[Pair, Path]) -> None:
    _, progress = migrated
    doc = json.loads(progress.read_text())
    assert doc["state"] == "finished" and doc["pid"] > 0
    names = [t["name"] for t in doc["types"]]
    assert "Historic Process Instance" in names and "Historic Variable" in names
    pi = next(t for t in doc["types"] if t["name"] == "Historic Process Instance")
    assert pi["done"] == pi["total"] > 50 and pi["finished"] is True
    assert len(doc["samples"]) >= 2 and doc["samples"][-1][1] == sum(t["done"] for t in doc["types"])


def test_api_counts_reasons_and_keyset_paging(migrated: tuple[Pair, Path], dashboard: Dashboard) -> None:
    pair, _ = migrated
    c8 = pair.c8()
    pi_keys = mapping(c8, "HISTORY_PROCESS_INSTANCE", migrated=True)
    jobs_skipped = mapping(c8, "HISTORY_JOB", migrated=False)
    c8.dispose()
    status, s = dashboard.get("/api/summary")
    assert status == 200
    by_type = {t["type"]: t for t in s["types"]}
    assert by_type["HISTORY_PROCESS_INSTANCE"] == {**by_type["HISTORY_PROCESS_INSTANCE"],
                                                   "migrated": len(pi_keys), "skipped": 0}
    assert by_type["HISTORY_JOB"]["skipped"] == len(jobs_skipped) > 0
    status, reasons = dashboard.get("/api/reasons?type=HISTORY_JOB")
    assert status == 200 and sum(r["count"] for r in reasons) == len(jobs_skipped)
    # keyset paging: every id exactly once, in C7_ID order, page after page
    seen: list[str] = []
    after = ""
    for _ in range(100):
        status, page = dashboard.get(f"/api/mappings?type=HISTORY_PROCESS_INSTANCE&limit=7&after={after}"
                                     if after else "/api/mappings?type=HISTORY_PROCESS_INSTANCE&limit=7")
        assert status == 200 and len(page["rows"]) <= 7
        seen += [r["c7_id"] for r in page["rows"]]
        for r in page["rows"]:
            assert r["c8_key"] == pi_keys[r["c7_id"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == sorted(pi_keys)
    # search: by C8 key (exact) and by C7 id prefix
    c7_id, key = sorted(pi_keys.items())[3]
    status, hit = dashboard.get(f"/api/mappings?type=HISTORY_PROCESS_INSTANCE&q={key}")
    assert [(r["c7_id"], r["c8_key"]) for r in hit["rows"]] == [(c7_id, key)]
    status, hit = dashboard.get(f"/api/mappings?type=HISTORY_PROCESS_INSTANCE&q={c7_id}")
    assert all(r["c7_id"].startswith(c7_id) for r in hit["rows"]) and c7_id in [r["c7_id"] for r in hit["rows"]]
    status, skipped = dashboard.get("/api/mappings?type=HISTORY_JOB&status=skipped")
    assert {r["c7_id"] for r in skipped["rows"]} == set(jobs_skipped) and all(r["reason"] for r in skipped["rows"])
    status, prog = dashboard.get("/api/progress")
    assert status == 200 and prog["state"] == "finished"


def test_read_only_and_guarded(dashboard: Dashboard) -> None:
    assert dashboard.get("/api/summary", method="POST")[0] == 405
    assert dashboard.get("/api/summary", method="DELETE")[0] == 405
    assert dashboard.get("/api/summary", headers={"Host": "attacker.example:80"})[0] == 403  # DNS rebinding
    assert dashboard.get("/api/mappings?type=NOPE")[0] == 400
    assert dashboard.get("/nothing")[0] == 404
    status, page = dashboard.get("/")
    assert status == 200 and "<script nonce=" in page
    # self-contained: nothing is loaded from elsewhere (no CDN)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page) and "<link" not in page
    assert "fetch(" in page and "import(" not in page


def test_token_required_beyond_loopback(migrated: tuple[Pair, Path]) -> None:
    pair, _ = migrated
    d = start_dashboard(pair, "--bind", "0.0.0.0", "--token", "s3cret-token-123")
    try:
        base = d.url.replace("0.0.0.0", "127.0.0.1")
        d = Dashboard(base, d.proc)
        assert d.get("/api/summary")[0] == 401
        assert d.get("/api/summary?token=wrong-token")[0] == 401
        assert d.get("/api/summary", headers={"X-C7to8-Token": "s3cret-token-123"})[0] == 200
        assert d.get("/api/summary?token=s3cret-token-123")[0] == 200
        assert d.get("/healthz")[0] == 200
    finally:
        stop(d)
    d = start_dashboard(pair, "--bind", "0.0.0.0")  # no --token: one is generated and printed in the URL
    try:
        assert "?token=" in d.url
        base = d.url.replace("0.0.0.0", "127.0.0.1")
        assert Dashboard(base.split("?")[0], d.proc).get("/api/summary")[0] == 401
        token = base.split("?token=")[1]
        assert Dashboard(base.split("?")[0], d.proc).get(f"/api/summary?token={token}")[0] == 200
    finally:
        stop(d)


# ------------------------------------------------------------------------------------------ browser


def ensure_browser() -> Any:
    """Chromium from Debian and the Playwright Python package (which never downloads browsers here).
    Installed idempotently when missing; scripts/testbed installs both up front."""
    if not Path(CHROMIUM).exists() and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=False,
                       capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright"], check=False, timeout=600)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    return sync_playwright


def wait_until(cond: Any, timeout_s: float = 20) -> None:
    """Poll from Python: the page's CSP forbids the string evaluation wait_for_function uses."""
    import time

    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


PIXEL_STATS = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const c = document.createElement("canvas"); c.width = img.width; c.height = img.height;
  const g = c.getContext("2d"); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0, sum = 0, sq = 0; const colors = new Set();
  for (let i = 0; i < d.length; i += 4 * 7) { const v = (d[i] + d[i + 1] + d[i + 2]) / 3; n++; sum += v; sq += v * v;
    if (colors.size < 5000) colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); }
  const mean = sum / n; return {width: c.width, height: c.height, variance: sq / n - mean * mean, colors: colors.size};
}"""


def test_page_in_headless_chromium(migrated: tuple[Pair, Path], dashboard: Dashboard, tmp_path: Path) -> None:
    sync_playwright = ensure_browser()
    pair, _ = migrated
    c8 = pair.c8()
    pi_keys = mapping(c8, "HISTORY_PROCESS_INSTANCE", migrated=True)
    var_skipped = len(mapping(c8, "HISTORY_VARIABLE", migrated=False))
    c8.dispose()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(dashboard.url)
            page.wait_for_selector("#summary-body tr[data-type=HISTORY_PROCESS_INSTANCE]")
            row = page.locator("#summary-body tr[data-type=HISTORY_PROCESS_INSTANCE]")
            assert row.locator("td.migrated").inner_text() == f"{len(pi_keys):,}"
            assert page.locator("#summary-body tr[data-type=HISTORY_VARIABLE] td.sk").inner_text() == str(var_skipped)
            wait_until(lambda: page.locator("#run-state").inner_text() == "finished")
            assert page.locator("#chart polyline").count() == 1  # the throughput chart is drawn
            # search a C8 key and find its C7 id
            c7_id, key = sorted(pi_keys.items())[5]
            page.wait_for_selector("#map-body td.c7")
            page.fill("#search", key)
            page.click("#search-button")
            wait_until(lambda: page.locator("#map-body tr").count() == 1
                       and page.locator("#map-body td.c8").inner_text() == key)
            assert page.locator("#map-body td.c7").inner_text() == c7_id
            # paging through the skipped jobs, with their reasons
            page.fill("#search", "")
            page.select_option("#map-type", "HISTORY_JOB")
            page.check("input[name=status][value=skipped]")
            wait_until(lambda: page.locator("#col-key").inner_text() == "Skip reason"
                       and page.locator("#map-body td.c8").count() > 0
                       and len(page.locator("#map-body td.c8").first.inner_text()) > 5)
            shot = tmp_path / "dashboard.png"
            png = page.screenshot(path=str(shot), full_page=True)
            assert errors == []
            stats = browser.new_page().evaluate(PIXEL_STATS, base64.b64encode(png).decode())
            assert stats["width"] == 1280 and stats["height"] >= 900
            assert stats["variance"] > 100 and stats["colors"] > 20, stats  # not a blank page
            assert shot.stat().st_size > 20_000
        finally:
            browser.close()
