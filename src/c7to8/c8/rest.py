"""A typed client for the Camunda 8 Orchestration Cluster REST API (v2), on httpx.

Auth as `camunda.client.*` configures it (none, basic, OIDC client credentials), timeouts,
bounded retries on 429/502/503/504 and connection errors (`Retry-After` honoured, else exponential
back-off with jitter), and errors that name the endpoint (and the instance, when the caller passes
one). Keys are JSON strings.

Backpressure: the 8.9 OpenAPI documents an overloaded broker as 503 with a problem detail titled
RESOURCE_EXHAUSTED (`ServiceUnavailable`); 429 (a rate limiter or proxy in front of the cluster, or
another version) is treated alike. Both are retried, and both make the client's shared
`AdaptiveLimiter` halve the number of requests it lets into flight (AIMD); when the cluster keeps
refusing, `Backpressure` is raised.
The client is thread-safe (httpx.Client is); one limiter is shared by every thread using it.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal

import httpx

from ..config import ClientConfig
from ..errors import TargetError

log = logging.getLogger("c7to8.rest")

RETRY_STATUS = {429, 502, 503, 504}
BACKPRESSURE_STATUS = {429, 503}
"""Answers that mean "too much load": retried, and they lower the limiter's in-flight limit."""
MAX_DELAY_S = 30.0
"""Cap of one wait between attempts (Retry-After included)."""


class RestError(TargetError):
    """A Camunda 8 REST call failed. `status` is None when the server could not be reached."""

    def __init__(self, message: str, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class Unreachable(RestError):
    pass


class Backpressure(RestError):
    """The cluster kept answering 429/503 (backpressure) until the retries were used up."""


# ---------------------------------------------------------------------------------------- back-off
def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).

    None when the header is absent or unreadable; a date in the past gives 0. Decimal seconds are
    accepted too (lenient; the RFC allows whole seconds only)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def backoff_delay(attempt: int, base_s: float, cap_s: float = MAX_DELAY_S,
                  rng: random.Random | None = None) -> float:
    """Exponential back-off with "equal jitter": half of min(cap, base * 2^(attempt-1)) plus a
    random share of the other half, so parallel threads refused together do not retry together."""
    ceiling = min(cap_s, base_s * (1 << min(max(attempt - 1, 0), 30)))
    share: float = (rng or random).random()
    return ceiling / 2 + share * ceiling / 2


Outcome = Literal["success", "overload", "neutral"]


class AdaptiveLimiter:
    """How many requests may be in flight at once, shared by the threads of one client (AIMD).

    Starts at `max_limit`. An overload answer (429/503) halves the limit (never below 1), once per
    congestion event: answers to requests that were sent before the last decrease do not lower it
    again. After `increase_after` successes in a row at the current limit it grows by one (never
    above `max_limit`). `acquire` blocks while `in_flight >= limit`.
    """

    def __init__(self, max_limit: int = 1, increase_after: int = 10) -> None:
        if max_limit < 1:
            raise ValueError(f"max_limit must be at least 1, got {max_limit}")
        if increase_after < 1:
            raise ValueError(f"increase_after must be at least 1, got {increase_after}")
        self.max_limit = max_limit
        self.increase_after = increase_after
        self.limit = max_limit
        self.in_flight = 0
        self.decreases = 0
        self._epoch = 0
        self._successes = 0
        self._cond = threading.Condition()

    def acquire(self) -> int:
        """Wait for a free slot; returns a ticket to hand back to `release`."""
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
            return self._epoch

    def release(self, ticket: int, outcome: Outcome) -> None:
        with self._cond:
            self.in_flight -= 1
            if outcome == "overload":
                self._successes = 0
                if ticket == self._epoch:  # the first overload answer of this congestion event
                    self._epoch += 1
                    if self.limit > 1:
                        self.limit = max(1, self.limit // 2)
                        self.decreases += 1
                        log.info("Camunda 8 signals backpressure: at most %d requests in flight now", self.limit)
            elif outcome == "success":
                self._successes += 1
                if self._successes >= self.increase_after:
                    self._successes = 0
                    if self.limit < self.max_limit:
                        self.limit += 1
            self._cond.notify_all()


@dataclass
class _Token:
    value: str
    expires_at: float


class C8Client:
    def __init__(self, config: ClientConfig, max_retries: int = 5, backoff_s: float = 0.5,
                 concurrency: int = 1, max_delay_s: float = MAX_DELAY_S) -> None:
        self.config = config
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_delay_s = max_delay_s
        self.limiter = AdaptiveLimiter(max(concurrency, 1))
        self.retries = 0  # retried attempts so far (all threads; for logs and tests)
        self._retries_lock = threading.Lock()
        verify: bool | str = config.ca_certificate_path or True
        auth: httpx.Auth | None = None
        if config.auth_method == "basic" and config.username:
            auth = httpx.BasicAuth(config.username, config.password.get())
        self._http = httpx.Client(
            base_url=config.rest_address.rstrip("/") + "/v2",
            timeout=httpx.Timeout(config.request_timeout_s, connect=10.0),
            verify=verify,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        self._token: _Token | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> C8Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    def _bearer(self) -> dict[str, str]:
        if self.config.auth_method != "oidc":
            return {}
        if self._token is None or self._token.expires_at < time.time() + 30:
            if not (self.config.token_url and self.config.client_id):
                raise RestError(
                    "camunda.client.auth.method is oidc but camunda.client.auth.token-url / client-id are missing"
                )
            data = {
                "grant_type": "client_credentials",
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret.get(),
            }
            if self.config.audience:
                data["audience"] = self.config.audience
            if self.config.scope:
                data["scope"] = self.config.scope
            try:
                r = httpx.post(self.config.token_url, data=data, timeout=self.config.request_timeout_s)
            except httpx.HTTPError as exc:
                raise Unreachable(f"OIDC token endpoint {self.config.token_url} cannot be reached: {exc}") from exc
            if r.status_code != 200:
                raise RestError(f"OIDC token request to {self.config.token_url} failed with HTTP {r.status_code}",
                                r.status_code)
            body = r.json()
            self._token = _Token(str(body["access_token"]), time.time() + float(body.get("expires_in", 300)))
        return {"Authorization": f"Bearer {self._token.value}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        what: str = "",
        ok: tuple[int, ...] = (200, 201, 204),
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call with bounded retries. `what` names the subject in error messages."""
        label = f"{method} /v2{path}" + (f" ({what})" if what else "")
        attempt = 0
        while True:
            attempt += 1
            ticket = self.limiter.acquire()  # the slot is held for the exchange only, never while waiting
            r: httpx.Response | None = None
            failure: httpx.HTTPError | None = None
            try:
                hdrs = {**(headers or {}), **self._bearer()}
                r = self._http.request(method, path, json=json, files=files, data=data, headers=hdrs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError) as exc:
                failure = exc
            finally:
                self.limiter.release(ticket, _outcome(r))
            if r is None:
                if attempt > self.max_retries:
                    raise Unreachable(
                        f"Camunda 8 REST API at {self.config.rest_address} cannot be reached for {label}: {failure}"
                    ) from failure
                self._retry(attempt, None)
                continue
            if r.status_code in ok:
                return r
            if r.status_code in RETRY_STATUS and attempt <= self.max_retries:
                if r.status_code in BACKPRESSURE_STATUS:
                    log.debug("%s: HTTP %d (backpressure), attempt %d, Retry-After %r", label, r.status_code,
                              attempt, r.headers.get("Retry-After"))
                self._retry(attempt, r.headers.get("Retry-After"))
                continue
            detail = _problem_detail(r)
            if r.status_code in BACKPRESSURE_STATUS:
                advice = (f"Lower --runtime-concurrency (c7to8.runtime-concurrency, now {self.limiter.max_limit}), "
                          "or give the cluster more resources" if self.limiter.max_limit > 1 else
                          "Wait until it has recovered, or give it more resources")
                raise Backpressure(
                    f"{label}: the Camunda 8 cluster at {self.config.rest_address} kept refusing the request "
                    f"with HTTP {r.status_code} ({detail}) after {attempt} attempts: it is overloaded "
                    f"(backpressure). {advice}, then run the same command again; everything committed so far "
                    "is kept.",
                    r.status_code, detail,
                )
            raise RestError(f"{label} failed with HTTP {r.status_code}: {detail}", r.status_code, detail)

    def _retry(self, attempt: int, retry_after: str | None) -> None:
        with self._retries_lock:
            self.retries += 1
        self._sleep(attempt, retry_after)

    def retry_delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before attempt `attempt + 1`: the server's Retry-After when it sent a readable one,
        else exponential back-off with jitter; never more than `max_delay_s`."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_delay_s)
        return backoff_delay(attempt, self.backoff_s, self.max_delay_s)

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        time.sleep(self.retry_delay(attempt, retry_after))

    # ------------------------------------------------------------------ endpoints
    def topology(self) -> dict[str, Any]:
        body: dict[str, Any] = self.request("GET", "/topology").json()
        return body

    def partition_ids(self) -> list[int]:
        topo = self.topology()
        ids = {int(p["partitionId"]) for b in topo.get("brokers", []) for p in b.get("partitions", [])}
        return sorted(ids)

    def search(self, resource: str, filter_: Mapping[str, Any] | None = None, page_size: int = 100,
               sort: list[dict[str, str]] | None = None) -> Iterator[dict[str, Any]]:
        """POST /v2/<resource>/search, following cursors until the end."""
        after: str | None = None
        while True:
            page: dict[str, Any] = {"limit": page_size}
            if after:
                page["after"] = after
            body: dict[str, Any] = {"filter": dict(filter_ or {}), "page": page}
            if sort:
                body["sort"] = sort
            resp: dict[str, Any] = self.request("POST", f"/{resource}/search", json=body).json()
            items = resp.get("items", [])
            yield from items
            after = (resp.get("page") or {}).get("endCursor")
            if not items or not after or len(items) < page_size:
                return


    # ------------------------------------------------------------------ runtime migration
    # Written against the 8.9 OpenAPI; not exercised against a live Camunda 8 in c7to8's tests.
    def deploy(self, files: list[tuple[str, bytes]], tenant_id: str | None = None) -> dict[str, Any]:
        """POST /v2/deployments (multipart `resources`)."""
        parts = [("resources", (name, content, "application/octet-stream")) for name, content in files]
        data = {"tenantId": tenant_id} if tenant_id else None
        body: dict[str, Any] = self.request("POST", "/deployments", files=parts, data=data, what="deployment").json()
        return body

    def search_first(self, resource: str, body: Mapping[str, Any], what: str = "") -> dict[str, Any] | None:
        """POST /v2/<resource>/search with a prepared body; the first item or None."""
        resp: dict[str, Any] = self.request("POST", f"/{resource}/search", json=dict(body), what=what).json()
        items = resp.get("items") or []
        return dict(items[0]) if items else None

    def search_items(self, resource: str, body: Mapping[str, Any], what: str = "") -> list[dict[str, Any]]:
        resp: dict[str, Any] = self.request("POST", f"/{resource}/search", json=dict(body), what=what).json()
        return [dict(i) for i in resp.get("items") or []]

    def process_definition_xml(self, key: str) -> bytes:
        r = self.request("GET", f"/process-definitions/{key}/xml", what=f"process definition {key}",
                         headers={"Accept": "text/xml, application/xml, application/json"})
        return r.content

    def create_process_instance(self, body: Mapping[str, Any]) -> str:
        """POST /v2/process-instances -> processInstanceKey."""
        r = self.request("POST", "/process-instances", json=dict(body),
                         what=f"bpmnProcessId {body.get('processDefinitionId')}")
        return str(r.json()["processInstanceKey"])

    def activate_jobs(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        r = self.request("POST", "/jobs/activation", json=dict(body), what=f"job type {body.get('type')}")
        return [dict(j) for j in r.json().get("jobs") or []]

    def modify_process_instance(self, key: str, body: Mapping[str, Any]) -> None:
        self.request("POST", f"/process-instances/{key}/modification", json=dict(body),
                     what=f"process instance {key}")

    def upload_document(self, file_name: str, content: bytes, content_type: str,
                        metadata: Mapping[str, Any], what: str = "") -> dict[str, Any]:
        import json as _json

        r = self.request("POST", "/documents",
                         files={"file": (file_name, content, content_type or "application/octet-stream")},
                         data={"metadata": _json.dumps(dict(metadata))}, what=what, ok=(200, 201))
        body: dict[str, Any] = r.json()
        return body

    # ------------------------------------------------------------------ identity
    def exists(self, path: str, what: str = "") -> bool:
        """GET an identity entity; 404 means it does not exist (yet)."""
        try:
            self.request("GET", path, what=what)
        except RestError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def post(self, path: str, body: Mapping[str, Any], what: str = "") -> dict[str, Any]:
        r = self.request("POST", path, json=dict(body), what=what)
        if not r.content:
            return {}
        out: dict[str, Any] = r.json()
        return out

    def put(self, path: str, what: str = "") -> None:
        self.request("PUT", path, what=what)


def _outcome(r: httpx.Response | None) -> Outcome:
    if r is None:
        return "neutral"
    if r.status_code in BACKPRESSURE_STATUS:
        return "overload"
    return "success" if r.status_code < 400 else "neutral"


def _problem_detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:300] or r.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:500]
