"""The HTML site in a real browser: Debian's headless Chromium driven over the DevTools protocol.

A fixture pipeline (tests/fixtures: a matplotlib figure with a Japanese title and a hypothesis table) is run and
its site served on 127.0.0.1. The index and every page it links to must load every image, log no console error,
request nothing outside the local server, and every link must answer HTTP 200.

By hand: ``python tests/test_site_browser.py output/site /tmp/shots`` serves a rendered site and saves a
full-page screenshot of the index and of each page.
"""

from __future__ import annotations

import base64
import concurrent.futures as cf
import csv
import io
import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = os.environ.get("SANGAKU_CHROMIUM", "/usr/bin/chromium")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,900"]


class Browser:
    """Just enough of the Chrome DevTools protocol (over websocket-client) to load pages and inspect them."""

    def __init__(self, exe: str = CHROMIUM, timeout: float = 30.0):
        import websocket

        if not Path(exe).exists():
            raise RuntimeError(f"Chromium not found at {exe}: run ./run.sh test (as root it installs it), or as root "
                               "apt-get update -qq && apt-get install -y -qq chromium fonts-ipaexfont-gothic "
                               "fonts-noto-cjk, or set SANGAKU_CHROMIUM to the browser binary")
        self.profile = Path(tempfile.mkdtemp(prefix="sangaku-chromium-"))
        self.log = open(self.profile / "chromium.log", "wb")
        self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium did not start; see {self.profile / 'chromium.log'}")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        pages: list[dict] = []
        while not pages and time.monotonic() < deadline:
            pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
                     if t.get("type") == "page"]
            time.sleep(0.05)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        self.timeout = timeout
        self._id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params: Any) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def load(self, url: str) -> list[dict]:
        """Navigate and wait for the load event; return the protocol events seen meanwhile."""
        self.events = []
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.send("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 100))", awaitPromise=True)
        return list(self.events)

    def js(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280) -> None:
        height = int(self.js("Math.min(document.documentElement.scrollHeight, 6000)"))
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        self.send("Emulation.clearDeviceMetricsOverride")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def console_errors(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions, error log entries and failed requests among the events."""
    out = []
    for ev in events:
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif m == "Network.loadingFailed":
            out.append(f"request failed: {p.get('errorText')}")
    return out


def requested_urls(events: list[dict]) -> list[str]:
    return [ev["params"]["request"]["url"] for ev in events if ev.get("method") == "Network.requestWillBeSent"]


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                super().handle_error(request, client_address)  # a browser that moves on mid-download is normal

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url.split("#", 1)[0], timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def check_site(browser: Browser, base: str) -> dict[str, dict]:
    """Visit the index and every local page it links to; return per-page findings."""
    found: dict[str, dict] = {}
    queue = [base + "index.html"]
    while queue:
        url = queue.pop(0)
        if url in found:
            continue
        events = browser.load(url)
        images = browser.js("Array.from(document.images).map(i => ({src: i.currentSrc || i.src, "
                            "complete: i.complete, width: i.naturalWidth}))")
        links = browser.js("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        found[url] = {"events": events, "images": images, "links": links,
                      "errors": console_errors(events), "requests": requested_urls(events),
                      "title": browser.js("document.title"), "charset": browser.js("document.characterSet"),
                      "font": browser.js("getComputedStyle(document.body).fontFamily")}
        for link in links:
            target = link.split("#", 1)[0]
            if target.startswith(base) and target.endswith(".html") and target not in found:
                queue.append(target)
    return found


def write_verdict_export(rows: list[dict]) -> None:
    """Write the summary notebook's verdict export (``verdicts.EXPORT_COLUMNS``) into the current output/."""
    from analysis.models import verdicts

    path = verdicts.export_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=verdicts.EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in verdicts.EXPORT_COLUMNS})
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    """Run the fixture pipeline (notebooks -> outputs -> site) in a scratch project."""
    sys.path.insert(0, str(FIXTURES))
    import nbfixtures
    from analysis import paths, site as site_mod
    from analysis.execution import pipeline

    root = nbfixtures.make_project(tmp_path_factory.mktemp("site") / "proj", matplotlib=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_ROOT", str(root))
        mp.delenv("SANGAKU_OUTPUT", raising=False)
        mp.syspath_prepend(str(FIXTURES))
        with cf.ThreadPoolExecutor(max_workers=2) as ex:
            summary = pipeline.reproduce(data=False, site=False, executor=ex, progress=lambda m: None)
        assert summary.ok, [r.message for r in summary.failed]
        # the site's hypothesis table is the summary notebook's export
        write_verdict_export([{"family": "toy", "hypothesis": nbfixtures.HYP_ID, "headline": "true",
                               "role": "hypothesis", "model": "m1", "term": "x", "expected sign": "+",
                               "estimate": "0.5", "std_error": "0.1", "ci_low": "0.3", "ci_high": "0.7",
                               "p_value": "0.001", "n_obs": "120", "n_clusters": "", "inference": "robust",
                               "verdict": "supported", "robustness same verdict": "1/1", "notebook": "hyp_toy",
                               "statement": "toy"}])
        site_mod.render(progress=lambda m: None)
        site = paths.output_dir() / "site"
    assert (site / "index.html").exists()
    return site


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        b = Browser()
    except RuntimeError as exc:
        pytest.fail(str(exc))  # ./run.sh test installs Chromium; a missing browser is a failure, never a skip
    try:
        yield b
    finally:
        b.close()


def test_every_page_loads_cleanly_offline(fixture_site, browser, tmp_path):
    with serve(fixture_site) as base:
        pages = check_site(browser, base)
        browser.load(base + "index.html")
        browser.screenshot(tmp_path / "index.png")
        # every link on every page answers 200 (files, pages, the index itself)
        links = sorted({l.split("#", 1)[0] for p in pages.values() for l in p["links"]})
        bad_links = {l: status(l) for l in links if not l.startswith(base) or status(l) != 200}
    assert base + "nb/fig_toy.html" in pages and base + "nb/hyp_toy.html" in pages
    assert not bad_links, bad_links
    for url, p in pages.items():
        assert not p["errors"], (url, p["errors"])
        outside = [r for r in p["requests"] if not (r.startswith(base) or r.startswith("data:"))]
        assert not outside, (url, outside)
        assert p["charset"] == "UTF-8", url
        assert "IPAexGothic" in p["font"], (url, p["font"])
        for img in p["images"]:
            assert img["complete"] and img["width"] > 0, (url, img["src"][:80])
    index = pages[base + "index.html"]
    assert any(i["src"].endswith("files/fig_toy/fig_toy.png") for i in index["images"]), index["images"]
    assert len(pages[base + "nb/fig_toy.html"]["images"]) >= 1  # the figure embedded in the page
    assert (tmp_path / "index.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_page_text_is_japanese_and_code_is_collapsed(fixture_site, browser):
    with serve(fixture_site) as base:
        browser.load(base + "nb/fig_toy.html")
        heading = browser.js("document.querySelector('h1').textContent")
        details = browser.js("Array.from(document.querySelectorAll('details.sangaku-code')).map(d => d.open)")
        code_visible = browser.js("Array.from(document.querySelectorAll('details.sangaku-code .jp-InputArea'))"
                                  ".some(e => e.checkVisibility())")
        browser.js("document.querySelector('details.sangaku-code').open = true")
        opened = browser.js("document.querySelector('details.sangaku-code .jp-InputArea').checkVisibility()")
        browser.load(base + "index.html")
        verdict = browser.js("Array.from(document.querySelectorAll('table.verdicts td'))"
                             ".map(td => td.textContent.trim())")
    assert heading == "研究開発費の推移（テスト図）"
    assert details and not any(details) and not code_visible
    assert opened is True
    assert "H_TOY" in verdict and any(v.startswith("supported") for v in verdict), verdict


# Rows as wide as the real exports (long model names, unbreakable terms, intervals, long notebook names).
WIDE_CSV = (
    "hypothesis,model,estimator,sample,term,estimate,std_error,ci_low,ci_high,p_value,n_obs,n_clusters,inference,"
    "role,verdict\n"
    "F1-nb,F1 NB2 with sector and region effects,nb2,all,rdexp:spil,-0.2359,0.07,-0.3692,-0.1026,0.000522,1629,181,"
    "cluster(firm),hypothesis,contrary\n"
    "C1,(2) two-way FE with country trends,ols,all,log_berd:log_herd,-0.1199,0.05,-0.009909,0.08979,0.263,1629,181,"
    "cluster(country),hypothesis,not supported\n"
    "R1a,FE Poisson lags 0-4 [cluster(firm)],fe_poisson,all,sum rdexp_l0..l4,0.349,0.27,-0.1755,0.8734,0.192,905,175,"
    "cluster(firm),replication,replication — no verdict\n")


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory) -> Path:
    """A site whose hypothesis table holds rows as wide as the real ones (rendered without kernels)."""
    sys.path.insert(0, str(FIXTURES))
    import nbfixtures
    from analysis import paths, site

    root = nbfixtures.make_project(tmp_path_factory.mktemp("wide") / "proj")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_ROOT", str(root))
        mp.delenv("SANGAKU_OUTPUT", raising=False)
        write_verdict_export(list(csv.DictReader(io.StringIO(WIDE_CSV))))
        index = site.render(progress=lambda m: None)
    return index.parent


GEOMETRY = """(() => {
  const wrap = document.querySelector('table.verdicts').parentElement, doc = document.documentElement;
  const heads = Array.from(document.querySelectorAll('table.verdicts thead th'));
  return {view: doc.clientWidth, page: doc.scrollWidth, wrap: wrap.clientWidth, table: wrap.scrollWidth,
          overflow: getComputedStyle(wrap).overflowX, heads: heads.map(h => h.textContent),
          right: Math.max(...heads.map(h => h.getBoundingClientRect().right))};
})()"""


def test_hypothesis_table_fits_a_1400px_window_and_scrolls_in_narrower_ones(wide_site, browser):
    with serve(wide_site) as base:
        try:
            browser.send("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1,
                         mobile=False)
            browser.load(base + "index.html")
            wide = browser.js(GEOMETRY)
            text = browser.js("document.querySelector('table.verdicts').innerText")
            browser.send("Emulation.setDeviceMetricsOverride", width=800, height=900, deviceScaleFactor=1,
                         mobile=False)
            browser.load(base + "index.html")
            narrow = browser.js(GEOMETRY)
        finally:
            browser.send("Emulation.clearDeviceMetricsOverride")
    assert "95 % CI" in wide["heads"] and "clusters" in wide["heads"]
    assert "[-0.1755, 0.8734]" in text and "replication — no verdict" in text
    # 1400 px: wider than the 1100 px text column, every column visible, nothing to scroll
    assert wide["wrap"] > 1100, wide
    assert wide["table"] <= wide["wrap"] and wide["right"] <= wide["view"], wide
    assert wide["page"] <= wide["view"], wide
    # 800 px: the table scrolls inside its container; the page itself does not scroll sideways
    assert narrow["overflow"] == "auto" and narrow["table"] > narrow["wrap"], narrow
    assert narrow["page"] <= narrow["view"], narrow


def test_missing_browser_is_a_clear_error():
    # The message names the missing path and the one command that installs the browser and its fonts.
    with pytest.raises(RuntimeError, match=r"/nonexistent/chromium: run \./run\.sh test .*apt-get update -qq && "
                       r"apt-get install -y -qq chromium fonts-ipaexfont-gothic fonts-noto-cjk"):
        Browser(exe="/nonexistent/chromium")


def main(argv: list[str]) -> int:
    """``python tests/test_site_browser.py SITE_DIR SHOTS_DIR``: screenshot every page of a rendered site."""
    site, shots = Path(argv[0]), Path(argv[1])
    shots.mkdir(parents=True, exist_ok=True)
    b = Browser()
    try:
        with serve(site) as base:
            pages = check_site(b, base)
            for url, p in pages.items():
                name = url[len(base):].replace("/", "_").removesuffix(".html") + ".png"
                b.load(url)
                b.screenshot(shots / name)
                broken = [i["src"][:60] for i in p["images"] if not i["width"]]
                print(f"{url}: {len(p['images'])} images, {len(broken)} broken, errors {p['errors']} -> {shots / name}")
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
