"""One loopback HTTP server per test session that records what Apprise's ``json://`` scheme posts to it."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

USER = "alertbot"
PASSWORD = "pw-9d1f3c77-secret"
"""The credential inside the alerter's URL: it must arrive at the server and appear nowhere else."""


class Inbox:
    """What the server received: one dict per request (path, basic-auth user and password, JSON body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.user, self.password = USER, PASSWORD

    def url(self, path: str = "hooks/team") -> str:
        """The Apprise URL that posts here, with the credential in it."""
        return f"json://{self.user}:{self.password}@127.0.0.1:{self.port}/{path}"

    def take(self) -> list[dict[str, Any]]:
        taken, self.received = self.received, []
        return taken


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    box: Inbox

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            user, _, password = base64.b64decode(self.headers["Authorization"].split()[1]).decode().partition(":")
            box.received.append({"path": self.path, "user": user, "password": password, "body": body})
            self.send_response(box.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box = Inbox(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def empty_inbox(inbox: Inbox) -> Iterator[Inbox]:
    inbox.take()
    inbox.status = 200
    yield inbox
    inbox.status = 200
