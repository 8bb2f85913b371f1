"""`jamfor report` in a real browser: headless Chromium opens the page from disk, offline.

Checks what only a browser can: no console errors or exceptions, nothing fetched but the file
itself, every chart laid out with a non-zero size, no horizontal scroll at 360 px, and the same in
print layout. A phone-width screenshot is kept under the test's tmp dir. Chromium is the Debian
package `chromium`, installed by `make tools` (`make test` runs it); without it the test skips, and
under CI it fails.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main
from tests import comparison_data as data

websockets_sync = pytest.importorskip("websockets.sync.client")

CDP_TIMEOUT_S = 20  # any single browser answer or awaited event


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "chromium is not installed: `make tools` installs Debian's package where it may (root, apt-get)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must test with it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-browser")
    warehouse = data.publish(root)
    target = root / "report-0101.html"
    assert main(["report", "Aby", "--warehouse", str(warehouse), "--out", str(target)]) == 0
    return target


class Browser:
    """A minimal Chrome DevTools Protocol client: one page session, events kept until read."""

    def __init__(self, url: str) -> None:
        self.ws = websockets_sync.connect(url, max_size=None, open_timeout=CDP_TIMEOUT_S)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        message = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=CDP_TIMEOUT_S))
            if reply.get("id") == ident:
                assert "error" not in reply, reply
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=CDP_TIMEOUT_S)))
        return next(e for e in self.events if e.get("method") == method)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"]["value"]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    profile = tempfile.mkdtemp(prefix="jamfor-chromium-")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += [
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
    ]
    process = subprocess.Popen([chromium, *flags, "about:blank"], stderr=subprocess.PIPE, text=True)
    try:
        url = None
        assert process.stderr is not None
        for line in process.stderr:  # Chromium announces its DevTools socket on stderr
            if found := re.search(r"DevTools listening on (ws://\S+)", line):
                url = found.group(1)
                break
        assert url, "chromium did not start its DevTools endpoint"
        client = Browser(url)
        yield client
        client.ws.close()
    finally:
        process.kill()  # only the process this fixture started
        process.wait(timeout=CDP_TIMEOUT_S)
        shutil.rmtree(profile, ignore_errors=True)


def _errors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Uncaught exceptions, console.error calls and error-level log entries (failed loads, CSP, ...)."""
    return [
        e
        for e in events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]


LAYOUT = """JSON.stringify({
  svgs: [...document.querySelectorAll('svg')].map(s => {
    const r = s.getBoundingClientRect(); return [r.width, r.height]; }),
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  images: document.images.length, scripts: document.scripts.length
})"""


def _open(browser: Browser, page: Path, width: int) -> dict[str, Any]:
    browser.events.clear()
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable", session=True)
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        session=True,
        width=width,
        height=800,
        deviceScaleFactor=1,
        mobile=True,
    )
    browser.call("Page.navigate", session=True, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    return json.loads(browser.evaluate(LAYOUT))


def test_page_opens_offline_without_errors_and_fits_a_phone(
    browser: Browser, page: Path, tmp_path: Path
) -> None:
    layout = _open(browser, page, 360)
    errors = _errors(browser.events)
    assert errors == []
    requested = {
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    }
    assert requested == {page.as_uri()}  # nothing but the file itself: no fonts, scripts or images
    assert layout["scripts"] == 0 and layout["images"] == 0
    assert len(layout["svgs"]) > 5
    assert all(w > 50 and h > 20 for w, h in layout["svgs"]), layout["svgs"]
    assert layout["scrollWidth"] <= layout["innerWidth"] == 360  # no horizontal scroll on a phone

    layout = _open(browser, page, 390)
    shot = browser.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)
    artefact = tmp_path / "report-0101-390px.png"
    artefact.write_bytes(base64.b64decode(shot["data"]))
    assert artefact.stat().st_size > 10_000


def test_print_layout_keeps_the_charts(browser: Browser, page: Path) -> None:
    browser.call("Emulation.setEmulatedMedia", session=True, media="print")
    try:
        layout = _open(browser, page, 700)
    finally:
        browser.call("Emulation.setEmulatedMedia", session=True, media="")
    assert all(w > 50 and h > 20 for w, h in layout["svgs"])
    assert layout["scrollWidth"] <= layout["innerWidth"]
