"""A minimal client for Rustmost's Mattermost API v4, used to set the stage for n8n and to read
the server's state back when checking what each n8n node did. Standard library only."""

import http.client
import json
from dataclasses import dataclass


class ApiFailure(Exception):
    pass


@dataclass
class Response:
    status: int
    body: object
    headers: dict

    def err_id(self) -> str:
        return self.body.get("id", "") if isinstance(self.body, dict) else ""


class Api:
    def __init__(self, host: str, port: int, token: str | None = None):
        self.host, self.port, self.token = host, port, token

    def as_token(self, token: str) -> "Api":
        return Api(self.host, self.port, token)

    def call(self, method: str, path: str, body=None, token: str | None = None) -> Response:
        """`path` is relative to /api/v4 and sent as is (no re-encoding)."""
        headers = {"Accept": "application/json"}
        tok = token if token is not None else self.token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, "/api/v4" + path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return Response(resp.status, parsed, hdrs)

    def must(self, method: str, path: str, body=None, ok=(200, 201), token=None):
        """Like `call`, but any status outside `ok` aborts the run with the exchange shown."""
        r = self.call(method, path, body, token)
        if r.status not in ok:
            raise ApiFailure(f"{method} /api/v4{path} -> {r.status}: {json.dumps(r.body)[:400]}")
        return r.body

    def get(self, path: str):
        return self.must("GET", path)

    def all_pages(self, path: str, per_page: int = 200) -> list:
        """Every item of a paged list, walking `page` until an empty page (as n8n does)."""
        sep = "&" if "?" in path else "?"
        out: list = []
        for page in range(1000):
            chunk = self.get(f"{path}{sep}page={page}&per_page={per_page}")
            if not isinstance(chunk, list):
                raise ApiFailure(f"GET {path} page {page}: expected a JSON array, got {chunk!r}")
            if not chunk:
                return out
            out.extend(chunk)
        raise ApiFailure(f"GET {path}: more than 1000 pages; is `page` ignored?")
