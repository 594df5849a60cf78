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
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call with bounded retries. `what` names the subject in error messages."""
        label = f"{method} /v2{path}" + (f" ({what})" if what else "")
        attempt = 0
        while True:
            attempt += 1
            try:
                hdrs = {**(headers or {}), **self._bearer()}
                r = self._http.request(method, path, json=json, files=files, data=data, headers=hdrs)
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


def _problem_detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:300] or r.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:500]
