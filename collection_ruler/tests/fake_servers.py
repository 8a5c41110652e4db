"""Fake provider servers on 127.0.0.1, and a guard that nothing else is reached.

A ``FakeServer`` answers each request with the next scripted answer (the
last one repeats) and records the request: method, path, headers and body.
"""

import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch


class FakeServer:
    def __init__(self):
        self.requests = []
        self.answers = [(200, {})]
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body.decode(),
                        "json": json.loads(body)
                        if body and "json" in self.headers.get("Content-Type", "")
                        else None,
                    }
                )
                status, answer, delay = server._next()
                if delay:
                    time.sleep(delay)
                if status is None:
                    # Hang up without an answer, as a dead upstream does.
                    self.close_connection = True
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _next(self):
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer if len(answer) == 3 else (*answer, 0)

    def script(self, *answers):
        """The next answers: (status, json) or (status, json, seconds to
        wait); a status of None hangs up without answering."""
        self.answers = list(answers)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def refused_url():
    """The URL of a port on 127.0.0.1 where nothing listens: a connection to
    it is refused, as to a provider that cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def only_local_network():
    """Refuse any connection but to 127.0.0.1: proof that tests reach no
    real provider."""
    connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "localhost", "::1"):
                raise AssertionError(f"a test tried to reach {address}")
        return connect(sock, address)

    with patch.object(socket.socket, "connect", guarded):
        yield
