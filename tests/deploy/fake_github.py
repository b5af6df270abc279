"""A loopback HTTP server answering GitHub REST API paths with recorded responses (the shapes GitHub documents)."""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any


class FakeGitHub:
    def __init__(self) -> None:
        # path (without the query) -> list of (status, body); the last answer repeats.
        self.answers: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, dict(self.headers)))
                queue = fake.answers.get(self.path.split("?", 1)[0]) or [(404, {"message": "Not Found"})]
                status, body = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
