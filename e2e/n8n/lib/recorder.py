"""A recording reverse proxy that sits between n8n and Rustmost on loopback.

n8n reports only "success" or an error for a node, so the proxy is how the run learns the real
HTTP exchange behind each node: method, raw path (kept byte for byte, so `//users` and
`/reactions/+1` reach Rustmost exactly as n8n sent them), status, and a timestamp that the
driver matches against each node's start time and duration in n8n's run data.
"""

import http.client
import http.server
import json
import threading
import time
from dataclasses import dataclass

# Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own business, not the upstream's.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
}


@dataclass
class Exchange:
    at_ms: float
    method: str
    path: str
    status: int
    authorization: str
    # For a JSON array response, how many items it held (pagination checks); else None.
    items: int | None


class Recorder:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the driver prints its own summary
                pass

            def _forward(self):
                started = time.time() * 1000
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn = http.client.HTTPConnection(*recorder.upstream, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status, resp_headers = resp.status, resp.getheaders()
                except OSError as e:
                    status, resp_headers = 502, [("Content-Type", "text/plain")]
                    data = f"recorder: upstream unreachable: {e}".encode()
                finally:
                    conn.close()
                with recorder._lock:
                    recorder.exchanges.append(
                        Exchange(
                            started,
                            self.command,
                            self.path,
                            status,
                            self.headers.get("Authorization", ""),
                            _array_len(data),
                        )
                    )
                self.send_response_only(status)
                for k, v in resp_headers:
                    if k.lower() not in _HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def between(self, start_ms: float, end_ms: float) -> list[Exchange]:
        """Exchanges that reached the proxy inside [start_ms, end_ms]."""
        with self._lock:
            return [e for e in self.exchanges if start_ms <= e.at_ms <= end_ms]

    def close(self) -> None:
        self.server.shutdown()


def _array_len(data: bytes) -> int | None:
    try:
        v = json.loads(data)
    except ValueError:
        return None
    return len(v) if isinstance(v, list) else None
