"""The HTTP side of Ganeti's RAPI, shared by live reads (:mod:`planner.io.rapi`) and ``planner apply``.

TLS verification is on by default (``verify=False`` accepts a self-signed certificate, a path is a CA
file); credentials come only from ``PLANNER_RAPI_USER``/``PLANNER_RAPI_PASSWORD`` or ``~/.netrc`` and
are never put in a message.  Transient failures (connection reset, HTTP 502/503/504) are retried
with exponential back-off; everything else becomes one line, a :class:`PlannerError`.

>>> HttpOptions().retries, tls_verify_setting(False)
(3, False)
>>> HttpOptions(backoff=0.5).delays()
[0.5, 1.0, 2.0]
"""

from __future__ import annotations

import json
import netrc
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from planner.domain.errors import PlannerError

TRANSIENT_STATUS = (502, 503, 504)
_HINTS = {401: "set PLANNER_RAPI_USER/PLANNER_RAPI_PASSWORD or a ~/.netrc entry",
          403: "the RAPI user needs the 'write' option in Ganeti's rapi/users file"}


@dataclass(frozen=True)
class HttpOptions:
    """Timeout (s) per request, TLS ``verify`` (None: ``PLANNER_RAPI_VERIFY``, else on), retries, back-off."""

    timeout: float = 60.0
    verify: bool | str | None = None
    retries: int = 3
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def delays(self) -> list[float]:
        return [self.backoff * 2 ** k for k in range(self.retries)]


def tls_verify_setting(verify: bool | str | None) -> bool | str:
    """The TLS setting: the given one, else ``PLANNER_RAPI_VERIFY`` (0/false/no/off, a CA file), else True."""
    if verify is not None:
        return verify
    env = os.environ.get("PLANNER_RAPI_VERIFY", "").strip()
    if env.lower() in ("0", "false", "no", "off"):
        return False
    return True if env.lower() in ("", "1", "true", "yes", "on") else env


def credentials(host: str, fail: Callable[[str], PlannerError]) -> tuple[str, str] | None:
    """``PLANNER_RAPI_USER``/``PLANNER_RAPI_PASSWORD``, else the ``~/.netrc`` entry for ``host``."""
    user = os.environ.get("PLANNER_RAPI_USER")
    if user:
        return user, os.environ.get("PLANNER_RAPI_PASSWORD", "")
    try:
        entry = netrc.netrc().authenticators(host)
    except FileNotFoundError:
        return None
    except (netrc.NetrcParseError, OSError) as e:
        raise fail(f"~/.netrc: {' '.join(str(e).split())}") from None
    return (entry[0], entry[2] or "") if entry else None


def reason(e: BaseException) -> str:
    """The ``[Errno N] text`` inside a requests/urllib3 error, else its first 200 characters.

    >>> reason(OSError("x ... [Errno 111] Connection refused')"))
    '[Errno 111] Connection refused'
    """
    m = re.search(r"\[Errno -?\d+\] [^'\")]+", str(e))
    return m.group(0) if m else " ".join(str(e).split())[:200]


def _transient(e: BaseException) -> bool:
    """A dropped connection (reset, closed without answer) is worth another try; refused is not."""
    text = str(e)
    return any(s in text for s in ("Connection reset", "RemoteDisconnected", "Connection aborted",
                                   "BrokenPipe", "[Errno 104]", "[Errno 32]"))


class RapiHttp:
    """One RAPI base URL: ``get_bytes`` / ``call`` with retries; ``close`` when done (or use ``with``)."""

    def __init__(self, base: str, opts: HttpOptions | None = None) -> None:
        self.base, self.opts = base.rstrip("/"), opts or HttpOptions()
        try:
            import requests
        except ImportError:
            raise self.fail("reading a RAPI URL needs the 'requests' package (pip install 'planner[live]')") from None
        self._rq = requests
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "planner"})
        self.session.auth = credentials(urlparse(self.base).hostname or "", self.fail)
        self.verify = tls_verify_setting(self.opts.verify)

    def fail(self, msg: str) -> PlannerError:
        return PlannerError(self.base, None, msg)

    def __enter__(self) -> RapiHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def _once(self, method: str, path: str, body: Any, timeout: float | None):
        rq, t = self._rq, timeout or self.opts.timeout
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            try:
                return self.session.request(method, self.base + path, data=data, headers=headers,
                                            verify=self.verify, timeout=(min(15.0, t), t))
            except rq.Timeout:
                raise self.fail(f"{method} {path}: timed out after {t:g} s") from None
            except rq.exceptions.SSLError as e:
                raise self.fail(f"{method} {path}: TLS error ({reason(e)}); "
                                "use --ca FILE, or --insecure for a self-signed certificate") from None
            except rq.ConnectionError as e:
                if _transient(e):
                    return e
                raise self.fail(f"{method} {path}: cannot connect: {reason(e)}") from None
            except (rq.RequestException, OSError) as e:
                raise self.fail(f"{method} {path}: {reason(e)}") from None

    def request(self, method: str, path: str, body: Any = None, timeout: float | None = None):
        """The response (status 200), retrying transient failures; any other outcome is a PlannerError."""
        last = ""
        for delay in [*self.opts.delays(), None]:
            r = self._once(method, path, body, timeout)
            if isinstance(r, BaseException):
                last = f"connection lost: {reason(r)}"
            elif r.status_code in TRANSIENT_STATUS:
                last = f"HTTP {r.status_code} {r.reason}"
            else:
                break
            if delay is None:
                raise self.fail(f"{method} {path}: {last} (after {self.opts.retries} retries)")
            self.opts.sleep(delay)
        if r.status_code != 200:
            hint = _HINTS.get(r.status_code) if method != "GET" or r.status_code == 403 else None
            detail = _ganeti_message(r)
            raise self.fail(f"{method} {path}: HTTP {r.status_code} {r.reason}"
                            + (f": {detail}" if detail else "") + (f" ({hint})" if hint else ""))
        return r

    def get_bytes(self, path: str) -> bytes:
        return self.request("GET", path).content

    def call(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        """The decoded JSON answer of one request."""
        r = self.request(method, path, body, timeout)
        try:
            return r.json()
        except ValueError:
            raise self.fail(f"{method} {path}: not a Ganeti RAPI (the answer is not JSON)") from None


def _ganeti_message(r: Any) -> str:
    """Ganeti's own explanation in an error body (``{"code":.., "message": ..}``), else ''."""
    try:
        data = r.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return " ".join(data["message"].split())[:300]
    return ""
