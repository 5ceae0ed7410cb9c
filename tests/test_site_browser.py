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

from tests.test_site_changes import changed, msti_rows, project, revised_msti  # noqa: F401 - fixtures

CHROMIUM = os.environ.get("SANGAKU_CHROMIUM", "/usr/bin/chromium")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT_DIR = FIXTURES.parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,900"]


# What ``Browser.load`` waits for after the load event.
LATE_EVENTS = "new Promise(r => setTimeout(r, 100))"
# (reading a size or position makes the browser lay the page out first; only the web fonts can still be loading)
FONTS_LOADED = "document.fonts.ready.then(() => true)"


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

    def load(self, url: str, *, late_events: bool = True) -> list[dict]:
        """Navigate and wait for the load event; return the protocol events seen meanwhile. ``late_events``: also
        wait 100 ms for errors logged just after the load event (for tests that check the events); without it,
        wait only until the web fonts are loaded (tests that read the page)."""
        self.events = []
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.send("Runtime.evaluate", expression=LATE_EVENTS if late_events else FONTS_LOADED, awaitPromise=True)
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
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # quick shutdown
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
        browser.load(base + "index.html", late_events=False)
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
        browser.load(base + "nb/fig_toy.html", late_events=False)
        heading = browser.js("document.querySelector('h1').innerText")
        details = browser.js("Array.from(document.querySelectorAll('details.sangaku-code')).map(d => d.open)")
        code_visible = browser.js("Array.from(document.querySelectorAll('details.sangaku-code .jp-InputArea'))"
                                  ".some(e => e.checkVisibility())")
        browser.js("document.querySelector('details.sangaku-code').open = true")
        opened = browser.js("document.querySelector('details.sangaku-code .jp-InputArea').checkVisibility()")
        browser.load(base + "findings.html", late_events=False)
        verdict = browser.js("Array.from(document.querySelectorAll('table.verdicts td'))"
                             ".map(td => td.innerText.trim())")
    assert heading == "研究開発費の推移（テスト図）"
    assert details and not any(details) and not code_visible
    assert opened is True
    assert "H_TOY" in verdict and any(v.startswith("支持") for v in verdict), verdict


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
          overflow: getComputedStyle(wrap).overflowX, heads: heads.map(h => h.innerText),
          right: Math.max(...heads.map(h => h.getBoundingClientRect().right))};
})()"""


def test_hypothesis_table_fits_a_1400px_window_and_scrolls_in_narrower_ones(wide_site, browser):
    with serve(wide_site) as base:
        try:
            browser.send("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1,
                         mobile=False)
            browser.load(base + "findings.html?lang=en", late_events=False)
            wide = browser.js(GEOMETRY)
            text = browser.js("document.querySelector('table.verdicts').innerText")
            browser.send("Emulation.setDeviceMetricsOverride", width=800, height=900, deviceScaleFactor=1,
                         mobile=False)
            browser.load(base + "findings.html", late_events=False)
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


FIG1 = "fig01_business_researchers_index"


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    """A site from the real figure 1: the committed notebook (executed with its defaults) and the files its
    module draws from data/processed/oecd_msti, in Japanese and (as the English run) in English; the verdict
    table is the fixture's."""
    from analysis import data, paths, site as site_mod
    from analysis.execution import pipeline
    from analysis.figures import business_researchers as fig
    from analysis.site import collect

    out = tmp_path_factory.mktemp("real") / "output"
    notebook = paths.notebooks_dir() / f"{FIG1}.ipynb"
    params = {k: v for k, v in collect.parameters_of(notebook).items() if k not in ("output_dir", "lang")}
    tidy = data.load(fig.DATA_NAME)
    fig.make(tidy, **params, lang="ja", output_dir=out / "figures" / FIG1)
    fig.make(tidy, **params, lang="en", output_dir=out / "runs" / f"{FIG1}__en")
    (out / "notebooks").mkdir(parents=True)
    shutil.copy(notebook, out / "notebooks" / notebook.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANGAKU_OUTPUT", str(out))
        mp.setattr(pipeline, "language_outputs", lambda name: {"ja": out / "figures" / name,
                                                               "en": out / "runs" / f"{name}__en"}, raising=False)
        mp.setattr(pipeline, "language_notebooks", lambda name: {}, raising=False)
        write_verdict_export([{"family": "country", "hypothesis": "C1b", "headline": "True", "role": "hypothesis",
                               "model": "m", "term": "x", "estimate": "0.066", "ci_low": "0.02", "ci_high": "0.11",
                               "p_value": "0.004", "n_obs": "1460", "n_clusters": "47", "verdict": "supported",
                               "robustness same verdict": "2/5", "notebook": "h4_country_absorptive_capacity",
                               "statement": "toy"}])
        site_mod.render(progress=lambda m: None)
    return out / "site"


VISIBLE_LABELS = """(() => {
  const vis = sel => Array.from(document.querySelectorAll(sel)).filter(e => e.checkVisibility());
  return {ja: vis('body [lang="ja"]').length, en: vis('body [lang="en"]').length,
          all_ja: document.querySelectorAll('body [lang="ja"]').length,
          all_en: document.querySelectorAll('body [lang="en"]').length,
          h1: document.querySelector('h1').innerText, title: document.title,
          nav: document.querySelector('nav.topbar').innerText, lang: document.documentElement.dataset.lang,
          legend: Array.from(document.querySelectorAll('.chart .role-legend-label text')).map(t => t.textContent)};
})()"""


def wait_charts(browser: "Browser", lang: str) -> list[dict]:
    """Wait until every chart of the page is drawn in ``lang``; return its id and number of marks."""
    return browser.js(f"""new Promise((resolve, reject) => {{
      const t0 = Date.now();
      (function poll() {{
        const charts = Array.from(document.querySelectorAll('.chart'));
        const failed = charts.filter(c => c.dataset.error);
        if (failed.length) return reject(failed[0].dataset.error);
        if (charts.every(c => c.dataset.ready === '{lang}')) return resolve(charts.map(c => ({{id: c.id,
          marks: c.querySelectorAll('.mark-symbol path, .mark-line path, .mark-rect path').length}})));
        if (Date.now() - t0 > 20000) return reject('charts not drawn: ' + charts.map(c => c.id + '=' + c.dataset.ready));
        setTimeout(poll, 50);
      }})();
    }})""")


def click_lang(browser: "Browser", lang: str) -> None:
    browser.js(f"document.querySelector('[data-set-lang=\"{lang}\"]').click()")


def test_language_switch_changes_every_label_and_persists_across_pages(real_site, browser):
    from analysis.site import i18n

    with serve(real_site) as base:
        browser.load(base + f"figures/{FIG1}.html", late_events=False)
        browser.js("localStorage.clear()")
        browser.load(base + f"figures/{FIG1}.html", late_events=False)
        wait_charts(browser, "ja")
        ja = browser.js(VISIBLE_LABELS)
        click_lang(browser, "en")
        wait_charts(browser, "en")
        en = browser.js(VISIBLE_LABELS)
        browser.load(base + "index.html", late_events=False)  # another page: the choice is remembered
        index_en = browser.js(VISIBLE_LABELS)
        click_lang(browser, "ja")
        index_ja = browser.js(VISIBLE_LABELS)
        browser.load(base + "findings.html", late_events=False)
        findings_ja = browser.js(VISIBLE_LABELS)
    # Japanese: every Japanese label visible, no English one; English: the reverse, label for label
    assert ja["lang"] == "ja" and ja["en"] == 0 and ja["ja"] > 20, ja
    assert en["lang"] == "en" and en["ja"] == 0 and en["en"] >= ja["ja"] - 2, en  # the ja PNG's own caption
    assert ja["h1"] == "各国の企業における研究者の伸び（2011年を100とした場合の指数）"
    assert en["h1"] == "Growth of business-enterprise researchers by country (index, 2011 = 100)"
    assert en["title"] == en["h1"] and ja["title"] == ja["h1"]
    assert i18n.label("figures", "ja") in ja["nav"] and i18n.label("figures", "en") in en["nav"]
    # the interactive chart is redrawn with English labels
    assert "日本" in ja["legend"] and "Japan" in en["legend"] and "Japan" not in ja["legend"], (ja, en)
    assert index_en["lang"] == "en" and index_en["ja"] == 0 and index_en["h1"] == i18n.label("site_title", "en")
    assert index_ja["lang"] == "ja" and index_ja["en"] == 0 and index_ja["h1"] == i18n.label("site_title", "ja")
    assert findings_ja["lang"] == "ja" and findings_ja["h1"] == i18n.label("findings", "ja")


def test_language_choice_persists_from_file_urls(real_site, browser):
    browser.load((real_site / "figures" / f"{FIG1}.html").as_uri(), late_events=False)
    click_lang(browser, "en")
    browser.js("document.querySelector('nav.topbar a.brand').click()")  # a link to the index
    browser.wait_for("Page.loadEventFired")
    state = browser.js(VISIBLE_LABELS)
    browser.load((real_site / "findings.html").as_uri(), late_events=False)
    later = browser.js(VISIBLE_LABELS)
    assert state["lang"] == "en" and state["ja"] == 0, state
    assert later["lang"] == "en", later


POINT = """(id => Array.from(document.querySelectorAll('#' + id + ' g.mark-symbol path'))
  .filter(p => p.__data__ && p.__data__.datum && p.__data__.datum.entity === 'JPN' && p.__data__.datum.year === 2021)
  .map(p => { const r = p.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; }))"""


# The text of the chart's tooltip once it is shown (polled; '' if it is not shown within 3 s).
TOOLTIP = """new Promise(r => { const t0 = Date.now(); (function poll() {
  const t = document.getElementById('vg-tooltip-element');
  if (t && t.classList.contains('visible')) return r(t.innerText);
  if (Date.now() - t0 > 3000) return r('');
  setTimeout(poll, 20); })(); })"""


def test_chart_renders_marks_and_hover_shows_the_value_of_japan_2021(real_site, browser):
    chart = f"chart-{FIG1}"
    with serve(real_site) as base:
        events = browser.load(base + f"figures/{FIG1}.html?lang=ja")
        charts = wait_charts(browser, "ja")
        browser.js(f"document.getElementById('{chart}').scrollIntoView({{block: 'center'}})")
        browser.js("new Promise(r => setTimeout(r, 200))")
        points = browser.js(POINT + f"('{chart}')")
        assert len(points) == 1, points
        for dx in (3, 0):  # move onto the point from beside it
            browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=points[0]["x"] + dx, y=points[0]["y"])
        tip = browser.js(TOOLTIP)
        rows = browser.js(f"window.sangakuViews['{chart}'].data('source_0').length")
        events += browser.events
    assert charts and all(c["marks"] > 0 for c in charts), charts
    # figure 1, base 2011: Japan's 2021 index is 529 053 / 490 920 x 100 = 107.8 (OECD MSTI B_RS.FTE)
    assert "日本" in tip and "2021" in tip and "107.8" in tip, tip
    assert "D" in tip and "March 2025 edition" in tip and "OECD" in tip, tip  # flag, vintage, source
    built = json.loads((ROOT_DIR / "data" / "processed" / "BUILD.json").read_text())["vintages"]["oecd_msti"]
    assert f"[{built}]" in tip, tip  # the vintage folder data/processed was built from
    assert not console_errors(events), console_errors(events)
    assert all(u.startswith(base) or u.startswith("data:") for u in requested_urls(events)), requested_urls(events)
    out = real_site.parent / "figures" / FIG1 / f"{FIG1}.csv"
    assert rows == len(out.read_text(encoding="utf-8").splitlines()) - 1


def test_csv_behind_the_chart_is_the_figures_csv_and_downloads_answer(real_site, browser):
    import mimetypes

    with serve(real_site) as base:
        browser.load(base + f"figures/{FIG1}.html", late_events=False)
        inline = browser.js(f"document.getElementById('csv-{FIG1}').textContent")
        links = browser.js("Array.from(document.querySelectorAll('a[download]')).map(a => a.href)")
        answers = {}
        for url in links:
            with urllib.request.urlopen(url, timeout=10) as r:
                answers[url] = (r.status, r.headers.get_content_type(), r.read())
    figure_dir = real_site.parent / "figures" / FIG1
    assert inline == (figure_dir / f"{FIG1}.csv").read_text(encoding="utf-8")
    expected = {".csv": "text/csv", ".png": "image/png", ".svg": "image/svg+xml"}
    suffixes = sorted({Path(u).suffix for u in links})
    assert suffixes == [".cff", ".csv", ".png", ".svg"], links
    for url, (code, ctype, body) in answers.items():
        suffix = Path(url).suffix
        assert code == 200, url
        assert ctype == expected.get(suffix, mimetypes.guess_type(url)[0] or "application/octet-stream"), (url, ctype)
        if "/en/" in url:
            assert body == (real_site.parent / "runs" / f"{FIG1}__en" / Path(url).name).read_bytes(), url
        elif suffix != ".cff":
            assert body == (figure_dir / Path(url).name).read_bytes(), url
    assert any("/en/" in u and u.endswith("_en.png") for u in links), links  # the English rendering


def _shots() -> Path | None:
    """``$SANGAKU_SHOTS``: where the width tests save a screenshot of every page they check, for a human to look
    at; unset, they take none (a full-page capture costs Chromium more than the checks; what they assert is read
    from the page, and test_every_page_loads_cleanly_offline checks that a capture works)."""
    shots = os.environ.get("SANGAKU_SHOTS")
    return Path(shots) if shots else None


WIDER = """(() => {
  const cw = document.documentElement.clientWidth;
  const scrolls = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  return {page: document.documentElement.scrollWidth, view: cw,
          wider: Array.from(document.querySelectorAll('body *')).filter(e => e.checkVisibility()
            && e.getBoundingClientRect().right > cw + 1 && !scrolls(e)).map(e => e.tagName + '.' + e.className)};
})()"""


@pytest.mark.parametrize("width", [1400, 390])
def test_pages_fit_the_window_at_desktop_and_phone_width(real_site, browser, width):
    shots = _shots()
    found = {}
    with serve(real_site) as base:
        try:
            for page in ("index.html", f"figures/{FIG1}.html", "findings.html", f"nb/{FIG1}.html"):
                for lang in ("ja", "en"):
                    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1,
                                 mobile=width < 500)
                    browser.load(base + f"{page}?lang={lang}", late_events=False)
                    if page.startswith("figures/"):
                        wait_charts(browser, lang)
                    found[(page, lang)] = browser.js(WIDER)
                    if shots:
                        browser.screenshot(shots / f"{width}_{lang}_{page.replace('/', '_')}.png", width=width)
        finally:
            browser.send("Emulation.clearDeviceMetricsOverride")
    for key, geo in found.items():
        assert geo["page"] <= geo["view"] and not geo["wider"], (width, key, geo)


def test_print_shows_static_figures_and_no_controls(real_site, browser):
    with serve(real_site) as base:
        browser.load(base + f"figures/{FIG1}.html", late_events=False)
        wait_charts(browser, "ja")
        browser.send("Emulation.setEmulatedMedia", media="print")
        try:
            state = browser.js("""(() => ({
              controls: Array.from(document.querySelectorAll('.controls, .lang-switch, nav.topbar, .chart'))
                .filter(e => e.checkVisibility()).length,
              images: Array.from(document.querySelectorAll('figure.static img')).filter(e => e.checkVisibility())
                .map(i => i.naturalWidth)}))()""")
        finally:
            browser.send("Emulation.setEmulatedMedia", media="")
    assert state["controls"] == 0 and len(state["images"]) == 1 and state["images"][0] > 0, state


def test_missing_browser_is_a_clear_error():
    # The message names the missing path and the one command that installs the browser and its fonts.
    with pytest.raises(RuntimeError, match=r"/nonexistent/chromium: run \./run\.sh test .*apt-get update -qq && "
                       r"apt-get install -y -qq chromium fonts-ipaexfont-gothic fonts-noto-cjk"):
        Browser(exe="/nonexistent/chromium")


CHANGES = """(() => {
  const vis = e => e && e.checkVisibility();
  const flips = document.getElementById('flips');
  return {first: document.querySelector('main > section').id, flips_visible: vis(flips),
          flips_text: flips ? flips.innerText : '',
          revised: Array.from(document.querySelectorAll('table.value-changes[data-kind="revised"] tbody tr'))
            .filter(vis).map(tr => tr.innerText),
          flags: Array.from(document.querySelectorAll('table.value-changes[data-kind="flag changed"] td.flags'))
            .filter(vis).map(td => td.innerText),
          links: Array.from(document.querySelectorAll('main a[href]')).map(a => a.href)};
})()"""


def test_changes_page_renders_and_switches_language_offline(changed, browser):
    """The "What changed" page of a real second MSTI vintage (tests/test_site_changes.py's ``changed``): flips
    first, the switch, no request outside the local server, every link 200, nothing wider than 1400 or 390 px."""
    from analysis import site as site_mod

    shots = _shots()

    out, _, old_value = changed
    site_mod.render(progress=lambda m: None)
    with serve(out / "site") as base:
        events = browser.load(base + "changes.html")
        browser.js("localStorage.clear()")
        events += browser.load(base + "changes.html")
        ja, ja_page = browser.js(VISIBLE_LABELS), browser.js(CHANGES)
        click_lang(browser, "en")
        en, en_page = browser.js(VISIBLE_LABELS), browser.js(CHANGES)
        events += browser.load(base + f"figures/{FIG1}.html")  # the choice is remembered on the next page
        figure = browser.js(VISIBLE_LABELS)
        links = {u.split("#", 1)[0] for u in en_page["links"]}
        answers = {u: status(u) for u in links}
        events += browser.events
        widths = {}
        try:
            for width in (1400, 390):
                for lang in ("ja", "en"):
                    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1,
                                 mobile=width < 500)
                    browser.load(base + f"changes.html?lang={lang}", late_events=False)
                    widths[(width, lang)] = browser.js(WIDER)
                    if shots:
                        browser.screenshot(shots / f"{width}_{lang}_changes.png", width=width)
        finally:
            browser.send("Emulation.clearDeviceMetricsOverride")
    assert ja["lang"] == "ja" and ja["en"] == 0 and ja["h1"] == "変更点" and ja["title"] == "変更点", ja
    assert en["lang"] == "en" and en["ja"] == 0 and en["h1"] == "What changed" and en["title"] == "What changed", en
    assert "変更点" in ja["nav"] and "What changed" in en["nav"]
    assert figure["lang"] == "en" and figure["ja"] == 0, figure
    # verdict flips first and visible; the revised JPN 2020 value with both numbers; the KOR flag made P
    for page in (ja_page, en_page):
        assert page["first"] == "flips" and page["flips_visible"], page
        (row,) = set(page["revised"])  # the same value under each notebook that draws it
        assert "JPN" in row and "2020" in row and f"{old_value:,.10g}" in row and f"{old_value * 1.01:,.10g}" in row
    assert "C1b" in ja_page["flips_text"] and "支持されず" in ja_page["flips_text"]
    assert "not supported" in en_page["flips_text"] and "支持" not in en_page["flips_text"]
    assert set(ja_page["flags"]) == {"— → P (新たなフラグ P (暫定値))"}, ja_page["flags"]
    assert set(en_page["flags"]) == {"— → P (new flag P (provisional))"}, en_page["flags"]
    assert links and all(u.startswith(base) and code == 200 for u, code in answers.items()), answers
    for key, geo in widths.items():
        assert geo["page"] <= geo["view"] and not geo["wider"], (key, geo)
    assert not console_errors(events), console_errors(events)
    assert all(u.startswith(base) or u.startswith("data:") for u in requested_urls(events)), requested_urls(events)


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
