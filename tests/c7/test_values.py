"""HistoryValues.probe_document_store: an unreachable Camunda 8 counts as no document store before any
value is read; a server that answers (whatever the status) leaves the decision to the first upload."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from c7to8.c7.values import HistoryValues
from c7to8.config import build_config
from c7to8.dialects import for_name


def _values(address: str) -> HistoryValues:
    config = build_config({"camunda.client.rest-address": address})
    return HistoryValues(config, for_name("postgresql").properties)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def answering() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that answers every request with 404 and records the paths."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            paths.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_listening_means_no_document_store(caplog: pytest.LogCaptureFixture) -> None:
    values = _values(f"http://127.0.0.1:{_free_port()}")
    assert not values.document_store_failed
    with caplog.at_level("WARNING", logger="c7to8.values"):
        assert values.probe_document_store() is False
    assert values.document_store_failed
    assert any("document store not available" in r.getMessage() for r in caplog.records)
    assert values.probe_document_store() is False  # decided: no second attempt
    values.close()


def test_any_answer_leaves_it_to_the_first_upload(answering: tuple[str, list[str]]) -> None:
    address, paths = answering
    values = _values(address)
    assert values.probe_document_store() is True
    assert not values.document_store_failed
    assert paths == ["/v2/topology"]
    values.close()
