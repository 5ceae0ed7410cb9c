"""A replay HTTP server on 127.0.0.1 for the update tests: it answers recorded responses, or fails on purpose.

``Replay.add(path_with_query, body, ...)`` records one response; ``mode`` makes it misbehave the way a publisher's
server or a network can: ``"slow"`` (answers after ``delay`` seconds), ``"truncate"`` (announces more bytes than it
sends, then closes). Every request is logged in ``Replay.requests``.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Callable

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    body: bytes
    status: int = 200
    content_type: str = "application/octet-stream"
    mode: str = "normal"
    delay: float = 0.0


@dataclass
class Replay:
    routes: dict[str, Recorded] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, body: bytes, **kw) -> None:
        self.routes[path] = Recorded(body, **kw)

    def start(self) -> "Replay":
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server protocol
                replay.requests.append(self.path)
                rec = replay.routes.get(self.path)
                if rec is None:
                    body = f"no recorded response for {self.path}".encode()
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if rec.mode == "slow":
                    time.sleep(rec.delay)
                self.send_response(rec.status)
                self.send_header("Content-Type", rec.content_type)
                announced = len(rec.body) + (4096 if rec.mode == "truncate" else 0)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                try:
                    self.wfile.write(rec.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if rec.mode == "truncate":
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # a short poll: stop() (shutdown) waits up to one poll interval, 0.5 s by default, after every test
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def committed_msti_rows(raw: Path, keep: Callable[[list[str], list[str]], bool]) -> tuple[list[str], list[list[str]]]:
    """Header and the rows ``keep(header, row)`` selects of the committed MSTI extract in ``raw`` (csv-parsed):
    the material the recorded responses are built from."""
    from analysis import vintages

    path = vintages.folder(raw, "oecd_msti") / "msti_raw.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [r for r in reader if keep(header, r)]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """Rows as the SDMX-CSV body a publisher sends (UTF-8, LF line ends)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")
