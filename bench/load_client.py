"""The simulated households of bench/load.py: real HTTP requests (requests), as a browser
behind the site's TLS proxy sends them.

The servers run in production mode: cookies are `Secure`, the site believes the proxy's
X-Forwarded-* headers (TRUSTED_PROXIES=1). So each household sends what the proxy would add
(its own client address, https, the public host name) and keeps its cookies itself (a cookie
jar never sends a Secure cookie over the loopback's plain http). Requests alternate between
the servers, as a load balancer without sticky sessions spreads them.
"""

from __future__ import annotations

import itertools
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import requests

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT_SECONDS = 60


@dataclass
class Sample:
    page: str
    seconds: float
    status: int  # 0: no answer (connection error, timeout)
    expected: bool


@dataclass
class Recorder:
    """Every timed request of a phase, from every thread."""

    samples: list[Sample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_note(self, note: str) -> None:
        with self.lock:
            self.notes.append(note)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def errors(self) -> list[Sample]:
        """5xx, no answer, or an answer the journey did not expect (a 4xx where none is)."""
        return [s for s in self.samples if s.status == 0 or s.status >= 500 or not s.expected]

    def by_page(self) -> dict[str, list[Sample]]:
        pages: dict[str, list[Sample]] = {}
        for sample in self.samples:
            pages.setdefault(sample.page, []).append(sample)
        return pages


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(share * len(ordered) + 0.5)) - 1))]


def summary(samples: list[Sample]) -> dict:
    seconds = [sample.seconds for sample in samples]
    return {
        "count": len(samples),
        "p50": statistics.median(seconds) * 1000,
        "p95": percentile(seconds, 0.95) * 1000,
        "max": max(seconds) * 1000,
    }


class Household:
    """One household's browser: its own connections, cookies and client address."""

    def __init__(self, number: int, servers: list[str], public_host: str, recorder: Recorder):
        self.number = number
        self.servers = itertools.cycle(servers[number % len(servers) :] + servers)
        self.session = requests.Session()
        self.cookies: dict[str, str] = {}
        self.recorder = recorder
        self.public = f"https://{public_host}"
        self.headers = {
            "X-Forwarded-For": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": public_host,
            "X-Forwarded-Port": "443",
            "User-Agent": f"bench-load household {number}",
        }
        self.csrf = ""

    def close(self) -> None:
        self.session.close()

    def request(
        self, method: str, path: str, page: str, expected=(200,), **kwargs
    ) -> requests.Response | None:
        """One timed request to the next server; None when no answer came."""
        headers = {**self.headers, "Referer": self.public + path, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        url = next(self.servers) + path
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                allow_redirects=False,
                timeout=TIMEOUT_SECONDS,
                **kwargs,
            )
        except requests.RequestException as error:
            self.recorder.add(Sample(page, time.perf_counter() - started, 0, False))
            self.recorder.add_note(f"{page}: no answer, {type(error).__name__}: {error}"[:300])
            return None
        elapsed = time.perf_counter() - started
        self.recorder.add(
            Sample(page, elapsed, response.status_code, response.status_code in expected)
        )
        self._keep_cookies(response)
        return response

    def _keep_cookies(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def remember_csrf(self, response: requests.Response | None) -> None:
        if response is not None and (found := CSRF_INPUT.search(response.text)):
            self.csrf = found.group(1)

    # --- what a household does ---------------------------------------------------------------

    def log_in(self, login_path: str, email: str, password: str) -> bool:
        """Through the real form: the page (its CSRF token), then the POST."""
        self.remember_csrf(self.request("GET", login_path, "login page"))
        response = self.request(
            "POST",
            login_path,
            "login",
            expected=(302,),
            data={"email": email, "password": password, "csrf_token": self.csrf},
        )
        return response is not None and response.status_code == 302

    def order(self, shop_path: str, quantities: dict[int, int], page: str, expected=(302,)):
        """The shop's form: the products shown, their quantities, "order"."""
        data: dict = {"csrf_token": self.csrf, "action": "order", "shown": list(quantities)}
        data.update({f"q-{availability_id}": str(n) for availability_id, n in quantities.items()})
        return self.request("POST", shop_path, page, expected=expected, data=data)
