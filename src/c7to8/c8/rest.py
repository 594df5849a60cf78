"""A typed client for the Camunda 8 Orchestration Cluster REST API (v2), on httpx.

Auth as `camunda.client.*` configures it (none, basic, OIDC client credentials), timeouts,
bounded retries with exponential backoff on 429/502/503/504 and connection errors, and errors that
name the endpoint (and the instance, when the caller passes one). Keys are JSON strings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..config import ClientConfig
from ..errors import TargetError

log = logging.getLogger("c7to8.rest")

RETRY_STATUS = {429, 502, 503, 504}


class RestError(TargetError):
    """A Camunda 8 REST call failed. `status` is None when the server could not be reached."""

    def __init__(self, message: str, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class Unreachable(RestError):
    pass


@dataclass
class _Token:
    value: str
    expires_at: float


class C8Client:
    def __init__(self, config: ClientConfig, max_retries: int = 5, backoff_s: float = 0.5) -> None:
        self.config = config
        self.max_retries = max_retries
        self.backoff_s = backoff_s
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
    ) -> httpx.Response:
        """One call with bounded retries. `what` names the subject in error messages."""
        label = f"{method} /v2{path}" + (f" ({what})" if what else "")
        attempt = 0
        while True:
            attempt += 1
            try:
                r = self._http.request(method, path, json=json, files=files, data=data, headers=self._bearer())
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError) as exc:
                if attempt > self.max_retries:
                    raise Unreachable(
                        f"Camunda 8 REST API at {self.config.rest_address} cannot be reached for {label}: {exc}"
                    ) from exc
                self._sleep(attempt, None)
                continue
            if r.status_code in ok:
                return r
            if r.status_code in RETRY_STATUS and attempt <= self.max_retries:
                self._sleep(attempt, r.headers.get("Retry-After"))
                continue
            detail = _problem_detail(r)
            raise RestError(f"{label} failed with HTTP {r.status_code}: {detail}", r.status_code, detail)

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff_s * (2 ** (attempt - 1))
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        time.sleep(min(delay, 30.0))

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


def _problem_detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:300] or r.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:500]
