"""Drives the real n8n 2.8.4: its headless CLI (import credentials and workflows, execute a
workflow by id) and, for what only the editor does (credential test, dropdown loaders), its
internal REST API behind `n8n start`."""

import http.client
import json
import os
import subprocess
import tempfile
import time


class N8nFailure(Exception):
    pass


class N8n:
    def __init__(self, bin_dir: str, home: str, rest_port: int, broker_port: int, log_dir: str):
        self.bin = os.path.join(bin_dir, "n8n")
        self.log_dir = log_dir
        self.rest_port = rest_port
        self.env = dict(os.environ)
        self.env.update(
            {
                "N8N_USER_FOLDER": home,
                "N8N_ENCRYPTION_KEY": "rustmost-e2e-encryption-key-0123456789",
                "N8N_DIAGNOSTICS_ENABLED": "false",
                "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
                "N8N_TEMPLATES_ENABLED": "false",
                "N8N_PERSONALIZATION_ENABLED": "false",
                "N8N_SECURE_COOKIE": "false",
                "N8N_HOST": "127.0.0.1",
                "N8N_LISTEN_ADDRESS": "127.0.0.1",
                "N8N_PORT": str(rest_port),
                # The task broker defaults to 5679 in every n8n process; give it a free port so a
                # busy 5679 on the machine cannot break the run.
                "N8N_RUNNERS_BROKER_PORT": str(broker_port),
                "N8N_RUNNERS_BROKER_LISTEN_ADDRESS": "127.0.0.1",
                # At `warn`, `n8n execute --rawOutput` prints no result at all.
                "N8N_LOG_LEVEL": "info",
                "DB_TYPE": "sqlite",
                "NODE_OPTIONS": "--max-old-space-size=2048",
            }
        )
        self.proc: subprocess.Popen | None = None
        self.log = None
        self.cookie = ""
        self._n = 0

    # ---- CLI -----------------------------------------------------------------------------

    def _cli(self, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
        self._n += 1
        try:
            r = subprocess.run(
                [self.bin, *args],
                check=False,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            # The usual cause: a list endpoint that ignores `page`, which n8n pages forever.
            raise N8nFailure(f"`n8n {' '.join(args)}` did not finish within {timeout}s") from None
        with open(os.path.join(self.log_dir, f"n8n-cli-{self._n:02d}.log"), "w") as f:
            f.write(
                f"$ n8n {' '.join(args)}\nrc={r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
            )
        return r

    def _import(self, kind: str, payload: list) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=f".{kind}.json", dir=self.log_dir, delete=False) as f:
            json.dump(payload, f)
        try:
            r = self._cli(f"import:{kind}", f"--input={f.name}")
        finally:
            if kind == "credentials":  # holds the tokens in clear; n8n keeps them encrypted
                os.unlink(f.name)
        if r.returncode != 0 or "Successfully imported" not in r.stdout + r.stderr:
            raise N8nFailure(f"n8n import:{kind} failed (rc={r.returncode}):\n{_tail(r)}")

    def import_credentials(self, creds: list) -> None:
        self._import("credentials", creds)

    def import_workflow(self, workflow: dict) -> None:
        self._import("workflow", [workflow])

    def execute(self, workflow_id: str) -> dict:
        """Runs a workflow headless and returns n8n's run result (`data.resultData.runData`…).
        rc=1 only means some node failed; the result JSON is still printed and is what counts."""
        r = self._cli("execute", f"--id={workflow_id}", "--rawOutput")
        lines = r.stdout.splitlines()
        try:
            start = lines.index("{")
        except ValueError:
            raise N8nFailure(
                f"n8n execute --id={workflow_id} printed no result (rc={r.returncode}):\n{_tail(r)}"
            )
        # Log lines can also follow the result ("Registered runner …"): decode one JSON value.
        result, _ = json.JSONDecoder().raw_decode("\n".join(lines[start:]))
        return result

    # ---- REST (editor API) ------------------------------------------------------------------

    def start(self, timeout_s: int = 120) -> None:
        # Stays open while the server runs; closed in stop().
        self.log = open(os.path.join(self.log_dir, "n8n-start.log"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.bin, "start"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.time() + timeout_s
        # /healthz answers before the REST routes exist; /rest/settings does not.
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise N8nFailure(f"`n8n start` exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if self.rest("GET", "/rest/settings")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise N8nFailure(f"`n8n start` did not serve /rest/settings within {timeout_s}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()

    def rest(self, method: str, path: str, body=None) -> tuple[int, object]:
        headers = {"browser-id": "rustmost-e2e-browser", "Accept": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.rest_port, timeout=120)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie" and v.startswith("n8n-auth="):
                    self.cookie = v.split(";", 1)[0]
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode("utf-8", "replace")

    def setup_owner(self) -> None:
        status, body = self.rest(
            "POST",
            "/rest/owner/setup",
            {
                "email": "owner@example.com",
                "firstName": "E2E",
                "lastName": "Owner",
                "password": "Owner-Passw0rd!",
            },
        )
        if status != 200 or not self.cookie:
            raise N8nFailure(f"n8n owner setup failed: {status} {body}")

    def test_credential(self, cred: dict) -> tuple[int, object]:
        return self.rest("POST", "/rest/credentials/test", {"credentials": cred})

    def load_options(self, method: str, cred: dict, params: dict | None = None) -> tuple[int, object]:
        return self.rest(
            "POST",
            "/rest/dynamic-node-parameters/options",
            {
                "nodeTypeAndVersion": {"name": "n8n-nodes-base.mattermost", "version": 1},
                "methodName": method,
                "path": "parameters.channelId",
                "currentNodeParameters": params or {},
                "credentials": {"mattermostApi": {"id": cred["id"], "name": cred["name"]}},
            },
        )


def _tail(r: subprocess.CompletedProcess, n: int = 30) -> str:
    return "\n".join((r.stdout + "\n" + r.stderr).strip().splitlines()[-n:])
