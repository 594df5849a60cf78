"""A PROTOCOL STUB of the few Camunda 8 REST v2 endpoints runtime migration calls. NOT Camunda 8.

What it is: a small `http.server` on 127.0.0.1 (one thread per connection) that answers

    GET  /v2/topology
    POST /v2/process-definitions/search          GET /v2/process-definitions/{key}/xml
    POST /v2/process-instances                   POST /v2/process-instances/search
    POST /v2/process-instances/{key}/modification
    POST /v2/jobs/activation                     POST /v2/documents

and, for identity migration (see "Identity endpoints" below),

    POST /v2/users | /v2/groups | /v2/tenants | /v2/authorizations
    GET  /v2/users/{username} | /v2/groups/{groupId} | /v2/tenants/{tenantId}
    PUT  /v2/groups/{groupId}/users/{username} | /v2/tenants/{tenantId}/users/{username}
         | /v2/tenants/{tenantId}/groups/{groupId}

with bodies shaped after the Camunda 8.9 OpenAPI in /work/shared/reference/c8-rest/8.9 (required
fields present, keys as strings, problem details on errors). It serves the harness's C8 models
(`harness/c8/*.bpmn`) as deployed definitions, records every creation, counts creation requests in
flight, can answer chosen creation requests with 429/503 + `Retry-After`, hands out one `migrator`
job per created instance (and per child a modification starts through a call activity), and records
modifications.

What it is for: testing c7to8's *client side* -- bounded concurrency, back-off, the adaptive limiter,
and the orchestrator's per-instance bookkeeping (tracking rows, PENDING resume, reruns).

What it is not: a verification against Camunda 8. It executes no BPMN, does not check bodies
against the OpenAPI beyond the fields it reads, applies no real backpressure and has none of
Camunda's consistency behaviour (its search sees a creation at once). Nothing passing against it
says c7to8 works with a real Camunda 8 cluster; no such cluster could run where c7to8 is built.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from c7to8.c8.bpmn import parse_bpmn

ROOT = Path(__file__).resolve().parents[2]
HARNESS_C8 = ROOT / "harness" / "c8"
FIRST_KEY = 2251799813685249


@dataclass
class Reject:
    """How to refuse one creation request: status, Retry-After value (None: no header)."""

    status: int = 429
    retry_after: str | None = "1"


@dataclass
class StubInstance:
    key: str
    process_definition_id: str
    tenant_id: str
    variables: dict[str, Any]
    parent_key: str | None = None
    business_id: str | None = None


@dataclass
class C8ProtocolStub:
    models: Path = HARNESS_C8
    create_delay_s: float = 0.05
    rejects: dict[int, Reject] = field(default_factory=dict)  # creation request ordinal (0-based) -> answer
    reject_all_creates: Reject | None = None
    fail_create_for: set[str] = field(default_factory=set)  # legacyIds answered with HTTP 400 (permanent)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._keys = itertools.count(FIRST_KEY)
        self.definitions: dict[str, tuple[str, bytes]] = {}  # processDefinitionId -> (key, xml)
        for f in sorted(self.models.glob("*.bpmn")):
            xml = f.read_bytes()
            for pid in parse_bpmn(xml).process_ids:
                self.definitions[pid] = (self._key(), xml)
        self.instances: dict[str, StubInstance] = {}
        self.created: Counter[str] = Counter()  # legacyId -> successful creations
        self.create_requests = 0
        self.rejected: list[tuple[int, str, int]] = []  # (ordinal, legacyId, status)
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_at_arrival: list[int] = []  # per creation request, in arrival order (itself included)
        self.jobs: list[dict[str, Any]] = []  # activatable migrator jobs (FIFO)
        self.job_of_instance: dict[str, dict[str, Any]] = {}
        self.modifications: dict[str, list[dict[str, Any]]] = {}  # process instance key -> bodies
        self.documents: list[str] = []
        self.requests: Counter[str] = Counter()  # "METHOD /path-template" -> count
        self._server: ThreadingHTTPServer | None = None
        # identity (protocol stub state, see "Identity endpoints")
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.tenants: dict[str, dict[str, Any]] = {}
        self.group_members: set[tuple[str, str]] = set()  # (groupId, username)
        self.tenant_members: set[tuple[str, str, str]] = set()  # (tenantId, "USER"|"GROUP", id)
        self.authorizations: dict[str, dict[str, Any]] = {}  # authorizationKey -> request body

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @contextmanager
    def running(self) -> Iterator[C8ProtocolStub]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                pass

            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                status, headers, payload = stub.dispatch(self.command, self.path, self.headers.get("Content-Type"),
                                                         body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if payload:
                    self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve  # identity assignments

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, name="c8-protocol-stub", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    # ------------------------------------------------------------------ helpers
    def _key(self) -> str:
        return str(next(self._keys))

    @staticmethod
    def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    @staticmethod
    def _problem(status: int, title: str, detail: str, path: str,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": path}
        return status, {"Content-Type": "application/problem+json", **(headers or {})}, json.dumps(body).encode()

    @staticmethod
    def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"items": items, "page": {"totalItems": len(items), "hasMoreTotalItems": False,
                                         "startCursor": None, "endCursor": None}}

    # ------------------------------------------------------------------ routing
    def dispatch(self, method: str, raw_path: str, content_type: str | None,
                 body: bytes) -> tuple[int, dict[str, str], bytes]:
        path = raw_path.split("?", 1)[0]
        template = re.sub(r"/\d+(?=/|$)", "/{key}", path)
        with self.lock:
            self.requests[f"{method} {template}"] += 1
        data: Any = None
        if body and (content_type or "").startswith("application/json"):
            data = json.loads(body)
        if method == "GET" and path == "/v2/topology":
            return self._json(200, {"brokers": [{"nodeId": 0, "host": "stub", "port": 26501, "version": "stub",
                                                 "partitions": [{"partitionId": 1, "role": "leader",
                                                                 "health": "healthy"}]}],
                                    "clusterSize": 1, "partitionsCount": 1, "replicationFactor": 1,
                                    "gatewayVersion": "protocol-stub", "lastCompletedChangeId": "-1"})
        if method == "POST" and path == "/v2/process-definitions/search":
            return self._definitions(data or {})
        m = re.fullmatch(r"/v2/process-definitions/(\d+)/xml", path)
        if method == "GET" and m:
            for key, xml in self.definitions.values():
                if key == m.group(1):
                    return 200, {"Content-Type": "text/xml"}, xml
            return self._problem(404, "NOT_FOUND", f"no process definition {m.group(1)}", path)
        if method == "POST" and path == "/v2/process-instances":
            return self._create(data or {}, path)
        if method == "POST" and path == "/v2/process-instances/search":
            return self._search_instances(data or {})
        m = re.fullmatch(r"/v2/process-instances/(\d+)/modification", path)
        if method == "POST" and m:
            return self._modify(m.group(1), data or {}, path)
        if method == "POST" and path == "/v2/jobs/activation":
            return self._activate(data or {})
        if method == "POST" and path == "/v2/documents":
            with self.lock:
                doc_id = f"doc-{len(self.documents) + 1}"
                self.documents.append(doc_id)
            return self._json(201, {"camunda.document.type": "camunda", "storeId": "in-memory",
                                    "documentId": doc_id, "contentHash": None,
                                    "metadata": {"contentType": "application/octet-stream", "fileName": doc_id,
                                                 "size": len(body), "customProperties": {}}})
        identity = self._identity(method, path, data)
        if identity is not None:
            return identity
        return self._problem(404, "NOT_FOUND", f"the protocol stub does not serve {method} {path}", path)

    # ------------------------------------------------------------------ endpoints
    def _definitions(self, data: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        flt = data.get("filter") or {}
        pid = flt.get("processDefinitionId")
        if pid not in self.definitions:
            return self._json(200, self._page([]))
        key, _ = self.definitions[pid]
        item = {"processDefinitionKey": key, "name": pid, "resourceName": f"{pid}.bpmn", "version": 1,
                "versionTag": None, "processDefinitionId": pid, "tenantId": flt.get("tenantId") or "<default>",
                "hasStartForm": False, "state": "ACTIVE"}
        return self._json(200, self._page([item]))

    def _create(self, data: dict[str, Any], path: str) -> tuple[int, dict[str, str], bytes]:
        legacy = str((data.get("variables") or {}).get("legacyId"))
        with self.lock:
            ordinal = self.create_requests
            self.create_requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.in_flight_at_arrival.append(self.in_flight)
        try:
            time.sleep(self.create_delay_s)
            reject = self.reject_all_creates or self.rejects.get(ordinal)
            if reject is not None:
                with self.lock:
                    self.rejected.append((ordinal, legacy, reject.status))
                headers = {"Retry-After": reject.retry_after} if reject.retry_after is not None else {}
                return self._problem(reject.status, "RESOURCE_EXHAUSTED",
                                     "Expected to handle REST API request, but the broker rejected it "
                                     "because it is overloaded (protocol stub)", path, headers)
            if legacy in self.fail_create_for:
                return self._problem(400, "INVALID_ARGUMENT", f"refused by the protocol stub for {legacy}", path)
            pid = data.get("processDefinitionId")
            if pid not in self.definitions or data.get("processDefinitionVersion") != -1:
                return self._problem(404, "NOT_FOUND", f"no process definition {pid}", path)
            with self.lock:
                inst = StubInstance(self._key(), str(pid), str(data.get("tenantId") or "<default>"),
                                    dict(data.get("variables") or {}), business_id=data.get("businessId"))
                self.instances[inst.key] = inst
                self.created[legacy] += 1
                self._add_job(inst)
            return self._json(200, {"processDefinitionId": pid, "processDefinitionKey": self.definitions[pid][0],
                                    "processDefinitionVersion": 1, "tenantId": inst.tenant_id,
                                    "variables": inst.variables, "processInstanceKey": inst.key, "tags": [],
                                    "businessId": inst.business_id})
        finally:
            with self.lock:
                self.in_flight -= 1

    def _add_job(self, inst: StubInstance) -> None:
        """The migrator execution listener job on the start event of a new instance (lock held)."""
        job = {"type": "migrator", "processDefinitionId": inst.process_definition_id, "processDefinitionVersion": 1,
               "elementId": "start", "customHeaders": {}, "worker": "", "retries": 3, "deadline": -1,
               "variables": dict(inst.variables), "tenantId": inst.tenant_id, "jobKey": self._key(),
               "processInstanceKey": inst.key, "processDefinitionKey": self.definitions[inst.process_definition_id][0],
               "elementInstanceKey": self._key(), "kind": "EXECUTION_LISTENER", "listenerEventType": "END",
               "rootProcessInstanceKey": inst.key if inst.parent_key is None else inst.parent_key, "tags": [],
               "userTask": None}
        self.jobs.append(job)
        self.job_of_instance[inst.key] = job

    def _search_instances(self, data: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        flt = data.get("filter") or {}
        wanted = {v["name"]: json.loads(v["value"]) for v in flt.get("variables") or []}
        with self.lock:
            found = [i for i in self.instances.values()
                     if all(i.variables.get(k) == v for k, v in wanted.items())
                     and flt.get("processDefinitionId") in (None, i.process_definition_id)]
        items = [{"processDefinitionId": i.process_definition_id, "processDefinitionName": None,
                  "processDefinitionVersion": 1, "processDefinitionVersionTag": None,
                  "startDate": "2026-01-01T00:00:00.000Z", "endDate": None, "state": "ACTIVE", "hasIncident": False,
                  "tenantId": i.tenant_id, "processInstanceKey": i.key,
                  "processDefinitionKey": self.definitions[i.process_definition_id][0],
                  "parentProcessInstanceKey": i.parent_key, "parentElementInstanceKey": None,
                  "rootProcessInstanceKey": i.parent_key or i.key, "tags": [], "businessId": i.business_id}
                 for i in found]
        return self._json(200, self._page(items))

    def _activate(self, data: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        n = int(data.get("maxJobsToActivate") or 1)
        with self.lock:
            mine = [j for j in self.jobs if j["type"] == data.get("type")][:n]
            for j in mine:
                self.jobs.remove(j)
        return self._json(200, {"jobs": mine})

    def _modify(self, key: str, data: dict[str, Any], path: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            inst = self.instances.get(key)
            if inst is None:
                return self._problem(404, "NOT_FOUND", f"no process instance {key}", path)
            start = str(self.job_of_instance[key]["elementInstanceKey"])
            terminate = [str(t.get("elementInstanceKey")) for t in data.get("terminateInstructions") or []]
            if terminate != [start]:
                return self._problem(400, "INVALID_ARGUMENT", f"terminate {terminate}, expected [{start}]", path)
            self.modifications.setdefault(key, []).append(data)
            # a call activity activated with a local legacyId starts a child that parks at its start event
            for a in data.get("activateInstructions") or []:
                for vi in a.get("variableInstructions") or []:
                    child_legacy = (vi.get("variables") or {}).get("legacyId")
                    if child_legacy:
                        child = StubInstance(self._key(), self._called_process(inst, a["elementId"]),
                                             inst.tenant_id, {**inst.variables, "legacyId": child_legacy},
                                             parent_key=key)
                        self.instances[child.key] = child
                        self._add_job(child)
        return 204, {}, b""

    def _called_process(self, parent: StubInstance, element_id: str) -> str:
        _, xml = self.definitions[parent.process_definition_id]
        m = re.search(rb'<bpmn:callActivity id="' + re.escape(element_id).encode() + rb'".*?processId="([^"]+)"',
                      xml, re.S)
        assert m is not None, f"call activity {element_id} not found in {parent.process_definition_id}"
        return m.group(1).decode()


    # ------------------------------------------------------------------ identity endpoints
    # Identity endpoints. PROTOCOL STUB, NOT Camunda 8: it keeps users, groups, tenants, memberships
    # and authorizations in dicts and refuses creations with the server-side checks listed in
    # /work/shared/spec/identity.md §4 (id patterns, required names, email syntax, existing owner),
    # using the problem `detail` texts the official QA observed from a real Camunda 8 where the spec
    # gives one (email, groupId, tenantId, "No name provided.", authorization owner); the username
    # text and the duplicate (409) texts are the stub's own. It is eventually consistent in no way
    # (a creation is readable at once) and checks nothing else of the OpenAPI.
    USERNAME = re.compile(r"^[a-zA-Z0-9_~@.+-]{1,256}$")
    GROUP_ID = re.compile(r"^[a-zA-Z0-9_~@.+-]{1,256}$")
    TENANT_ID = re.compile(r"^(<default>|[\w.-]{1,31})$")
    EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    def _identity(self, method: str, path: str, data: Any) -> tuple[int, dict[str, str], bytes] | None:
        parts = [urllib.parse.unquote(x) for x in path.split("/")[2:]]  # after "/v2/"
        body: dict[str, Any] = data if isinstance(data, dict) else {}
        stores = {"users": self.users, "groups": self.groups, "tenants": self.tenants}
        with self.lock:
            if method == "POST" and parts in (["users"], ["groups"], ["tenants"]):
                return self._identity_create(parts[0], body, path)
            if method == "POST" and parts == ["authorizations"]:
                owner, owner_type = str(body.get("ownerId")), body.get("ownerType")
                store = self.users if owner_type == "USER" else self.groups
                if owner not in store:
                    return self._problem(404, "NOT_FOUND", (
                        "Command 'CREATE' rejected with code 'NOT_FOUND': Expected to create or update "
                        f"authorization with ownerId or resourceId '{owner}', but a "
                        f"{'user' if owner_type == 'USER' else 'group'} with this ID does not exist."), path)
                key = self._key()
                self.authorizations[key] = body
                return self._json(201, {"authorizationKey": key})
            if method == "GET" and len(parts) == 2 and parts[0] in stores:
                entity = stores[parts[0]].get(parts[1])
                if entity is None:
                    return self._problem(404, "NOT_FOUND", f"{parts[0][:-1]} {parts[1]} not found (protocol stub)",
                                         path)
                return self._json(200, entity)
            if method == "PUT" and len(parts) == 4 and parts[0] in ("groups", "tenants") \
                    and parts[2] in ("users", "groups") and (parts[0], parts[2]) != ("groups", "groups"):
                owner_id, member_kind, member = parts[1], parts[2], parts[3]
                if owner_id not in stores[parts[0]] or member not in stores[member_kind]:
                    return self._problem(404, "NOT_FOUND", f"{parts[0][:-1]} {owner_id} or {member_kind[:-1]} "
                                         f"{member} not found (protocol stub)", path)
                if parts[0] == "groups":
                    self.group_members.add((owner_id, member))
                else:
                    self.tenant_members.add((owner_id, "USER" if member_kind == "users" else "GROUP", member))
                return 204, {}, b""
        return None

    def _identity_create(self, kind: str, body: dict[str, Any], path: str) -> tuple[int, dict[str, str], bytes]:
        """POST /v2/users | groups | tenants (lock held)."""
        if kind == "users":
            uid = str(body.get("username") or "")
            if not self.USERNAME.match(uid):
                return self._problem(400, "INVALID_ARGUMENT", "The provided username contains illegal characters.",
                                     path)
            email = body.get("email")
            if email and not self.EMAIL.match(str(email)):
                return self._problem(400, "INVALID_ARGUMENT", f"The provided email '{email}' is not valid.", path)
            if uid in self.users:
                return self._problem(409, "ALREADY_EXISTS", f"A user with username '{uid}' already exists.", path)
            self.users[uid] = {"username": uid, "name": body.get("name"), "email": email}
            return self._json(201, self.users[uid])
        id_field, pattern, store = (("groupId", self.GROUP_ID, self.groups) if kind == "groups"
                                    else ("tenantId", self.TENANT_ID, self.tenants))
        eid = str(body.get(id_field) or "")
        if not pattern.match(eid):
            return self._problem(400, "INVALID_ARGUMENT", f"The provided {id_field} contains illegal characters.",
                                 path)
        if not body.get("name"):
            return self._problem(400, "INVALID_ARGUMENT", "No name provided.", path)
        if eid in store:
            return self._problem(409, "ALREADY_EXISTS", f"A {kind[:-1]} with ID '{eid}' already exists.", path)
        store[eid] = {id_field: eid, "name": body["name"]}
        return self._json(201, store[eid])


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)
