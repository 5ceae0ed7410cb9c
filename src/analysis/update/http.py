"""Downloads for ``analysis update``: one GET with a timeout, and a named error for every way it can fail.

Only ``urllib`` is used. A response is accepted only when the status is 200, the body is complete (its
Content-Length, or the transfer encoding's end) and it is not an error page (HTML where data were asked for).
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import SangakuError

USER_AGENT = "sangaku-update/1 (+https://github.com/; replication package)"


class UpdateError(SangakuError):
    """An update failed; nothing was written. ``kind`` names the failure (e.g. ``timeout``)."""

    kind = "update failed"

    def __init__(self, url: str, detail: str):
        self.url = url
        self.detail = detail
        super().__init__(f"{self.kind}: {detail} (GET {url}); no vintage was written, data/raw and data/processed "
                         f"are unchanged")


class NoNetworkError(UpdateError):
    kind = "no network"


class FetchTimeoutError(UpdateError):
    kind = "timeout"


class HTTPStatusError(UpdateError):
    kind = "HTTP error"


class ErrorPageError(UpdateError):
    kind = "error page instead of data"


class TruncatedBodyError(UpdateError):
    kind = "truncated response"


class UnexpectedContentError(UpdateError):
    kind = "unexpected content"


@dataclass(frozen=True)
class Response:
    """A complete, accepted response and when it was retrieved."""

    url: str
    status: int
    content_type: str
    body: bytes
    retrieved: str  # UTC, ISO 8601, seconds

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def record(self, query: dict | None = None) -> dict:
        """What ORIGIN.json keeps of this request."""
        return {"url": self.url, "query": query or {}, "retrieved": self.retrieved, "http_status": self.status,
                "content_type": self.content_type, "sha256": self.sha256, "bytes": len(self.body)}


def build_url(base: str, path: str, params: dict[str, str] | None = None) -> str:
    """``base`` + ``path`` + the query string (parameters in the given order)."""
    url = base.rstrip("/") + "/" + path.lstrip("/")
    return url + ("?" + urllib.parse.urlencode(params) if params else "")


def _first_line(body: bytes) -> str:
    text = body[:400].decode("utf-8", "replace").strip()
    return " ".join(text.split())[:160] or "(empty body)"


def get(url: str, *, timeout: float = 60.0, accept: str = "*/*", expect_html: bool = False) -> Response:
    """GET ``url``; return the response or raise a named :class:`UpdateError`."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept})
    retrieved = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL from publishers.toml/--base-url
            length = resp.headers.get("Content-Length")
            body = resp.read()
            status, ctype = resp.status, resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp else b""
        raise HTTPStatusError(url, f"status {exc.code} {exc.reason}: {_first_line(body)}") from None
    except http.client.IncompleteRead as exc:
        raise TruncatedBodyError(url, f"connection closed after {len(exc.partial)} bytes"
                                      + (f" of {exc.expected + len(exc.partial)}" if exc.expected else "")) from None
    except (socket.timeout, TimeoutError) as exc:
        raise FetchTimeoutError(url, f"no answer within {timeout:g} s ({exc})") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise FetchTimeoutError(url, f"no answer within {timeout:g} s") from None
        raise NoNetworkError(url, f"cannot connect ({exc.reason})") from None
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise NoNetworkError(url, f"connection failed ({type(exc).__name__}: {exc})") from None
    if length is not None and length.isdigit() and int(length) != len(body):
        raise TruncatedBodyError(url, f"{len(body)} bytes received, Content-Length {length}")
    if not expect_html and ("html" in ctype.lower() or body.lstrip()[:1] == b"<" and b"<html" in body[:2000].lower()):
        raise ErrorPageError(url, f"status {status}, Content-Type {ctype or '?'}: {_first_line(body)}")
    if not body:
        raise TruncatedBodyError(url, "empty body")
    return Response(url, status, ctype, body, retrieved)
