#!/usr/bin/env python3
"""Real n8n against Rustmost, end to end (issues 4 and 11).

run.sh installs n8n, builds and starts Rustmost and an SMTP sink, then runs this driver, which:
  1. sets the stage over Rustmost's API: an admin, two teams, channels, 110 users (so every
     paged list needs a second page at n8n's per_page=100), a non-admin `bob`, and real personal
     access tokens for both;
  2. imports three n8n credentials (admin PAT, bob's PAT, a wrong token) and, phase by phase,
     imports and executes the workflows in workflows/ with `n8n execute`;
  3. checks every node's outcome against Rustmost's own state, read back over the API;
  4. starts `n8n start` for what only the editor does: the credential test and the 4 loaders;
     then a slash command and outgoing webhooks call n8n Webhook-trigger workflows that answer
     (through their response, or through n8n's Mattermost node);
  5. prints one row per operation (HTTP exchanges seen, what was verified) and exits non-zero
     on any failed check.

Every request n8n sends goes through a recording proxy (lib/recorder.py), so the HTTP status
behind each node is known, not guessed from n8n's output.
"""

import argparse
import contextlib
import datetime
import email
import email.policy
import glob
import json
import os
import re
import sys
import time
import traceback
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

from api import Api, ApiFailure
from n8n import N8n
from recorder import Recorder

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN_PW = "Admin-Passw0rd!"
USER_PW = "User-Passw0rd!"
CROWD = 105  # with admin, bob, carol, dave and outsider: 110 users, more than one page of 100
CRED_ADMIN = {"id": "rmE2eCredAdmin01", "name": "Rustmost admin (PAT)"}
CRED_BOB = {"id": "rmE2eCredBob0001", "name": "Rustmost bob (PAT)"}
CRED_BAD = {"id": "rmE2eCredBad00001", "name": "Rustmost wrong token"}
WRONG_TOKEN = "wrongtokenwrongtokenwrongto"


# ---- bookkeeping -------------------------------------------------------------------------------


class Op:
    """One row of the summary: an operation (or variant) and the checks made on it."""

    def __init__(self, name: str):
        self.name, self.http, self.verified, self.failures = name, "", [], []

    def expect(self, cond: bool, what: str, detail: str = "") -> bool:
        if cond:
            self.verified.append(what)
        else:
            msg = f"{what}" + (f" -- {detail}" if detail else "")
            self.failures.append(msg)
            print(f"  FAIL [{self.name}] {msg}", flush=True)
        return bool(cond)

    def equal(self, got, want, what: str) -> bool:
        return self.expect(got == want, what, f"got {_short(got)}, want {_short(want)}")


def _short(v, n: int = 300) -> str:
    s = json.dumps(v, default=str, sort_keys=True) if not isinstance(v, str) else v
    return s if len(s) <= n else s[:n] + "…"


class Ctx:
    def __init__(self, args):
        self.args = args
        self.ops: list[Op] = []
        self.ids: dict[str, str] = {}
        host = "127.0.0.1"
        self.anon = Api(host, args.rustmost_port)
        self.rec = Recorder(host, args.rustmost_port)
        self.base_url = f"http://127.0.0.1:{self.rec.port}/"  # a trailing '/', as people paste it
        self.n8n = N8n(
            args.n8n_bin, os.path.join(args.work, "n8n-home"), args.n8n_port, args.broker_port, args.work
        )
        self.admin: Api = None  # type: ignore[assignment]  # set in setup, authenticated by PAT
        self.tokens: dict[str, str] = {}

    def op(self, name: str) -> Op:
        o = Op(name)
        self.ops.append(o)
        return o


# ---- 1. setup over Rustmost's API --------------------------------------------------------------


def setup(c: Ctx) -> None:
    print("== setup: admin, tokens, teams, channels, users", flush=True)
    anon = c.anon
    admin = anon.must(
        "POST", "/users", {"email": "admin@example.com", "username": "admin", "password": ADMIN_PW}
    )
    c.ids["ADMIN_ID"] = admin["id"]
    login = anon.call("POST", "/users/login", {"login_id": "admin", "password": ADMIN_PW})
    if login.status != 200 or "token" not in login.headers:
        raise ApiFailure(f"admin login: {login.status} {login.body}")
    session = anon.as_token(login.headers["token"])
    session.must(
        "PUT",
        "/config/patch",
        {
            "ServiceSettings": {
                "SiteURL": f"http://127.0.0.1:{c.args.rustmost_port}",
                "EnableUserAccessTokens": True,
                "EnableEmailInvitations": True,
            },
            # Mattermost's default of 50 members per team is below the 105-user crowd.
            "TeamSettings": {"MaxUsersPerTeam": 1000},
            "EmailSettings": {
                "SendEmailNotifications": True,
                "SMTPServer": "127.0.0.1",
                "SMTPPort": str(c.args.smtp_port),
                "ConnectionSecurity": "",
                "EnableSMTPAuth": False,
                "FeedbackEmail": "rustmost@example.com",
            },
        },
    )

    pat = c.op("personal access tokens (setup)")
    admin_tok = session.must("POST", f"/users/{admin['id']}/tokens", {"description": "n8n e2e (admin)"})
    c.tokens["admin"] = admin_tok["token"]
    c.admin = anon.as_token(c.tokens["admin"])
    me = c.admin.call("GET", "/users/me")
    pat.expect(
        me.status == 200 and me.body.get("id") == admin["id"],
        "admin PAT authenticates as admin",
        f"{me.status}",
    )
    session.must("POST", "/users/logout")
    pat.equal(
        session.call("GET", "/users/me").status, 401, "admin session logged out; the PAT drives the rest"
    )

    A = c.admin
    team = A.must("POST", "/teams", {"name": "e2e-team", "display_name": "E2E Team", "type": "O"})
    annex = A.must("POST", "/teams", {"name": "e2e-annex", "display_name": "E2E Annex", "type": "I"})
    c.ids["TEAM_ID"], c.ids["ANNEX_ID"] = team["id"], annex["id"]

    def mkuser(username: str, email: str) -> dict:
        return A.must("POST", "/users", {"username": username, "email": email, "password": USER_PW})

    bob, carol = mkuser("bob", "bob@example.com"), mkuser("carol", "carol@example.com")
    dave, outsider = mkuser("dave", "dave+tag@example.com"), mkuser("outsider", "outsider@example.com")
    crowd = [mkuser(f"crowd{i:03d}", f"crowd{i:03d}@example.com") for i in range(1, CROWD + 1)]
    c.ids.update(BOB_ID=bob["id"], CAROL_ID=carol["id"], DAVE_ID=dave["id"], OUTSIDER_ID=outsider["id"])
    for u in [bob, carol, dave, *crowd]:
        A.must("POST", f"/teams/{team['id']}/members", {"team_id": team["id"], "user_id": u["id"]})

    def mkchannel(team_id: str, name: str, display: str, typ: str) -> dict:
        return A.must(
            "POST", "/channels", {"team_id": team_id, "name": name, "display_name": display, "type": typ}
        )

    lobby = mkchannel(team["id"], "e2e-lobby", "E2E Lobby", "O")
    crowd_ch = mkchannel(team["id"], "e2e-crowd", "E2E Crowd", "O")
    secret = mkchannel(team["id"], "e2e-secret", "E2E Secret", "P")
    notes = mkchannel(annex["id"], "annex-notes", "Annex Notes", "O")
    c.ids.update(LOBBY_ID=lobby["id"], CROWD_ID=crowd_ch["id"], SECRET_ID=secret["id"], NOTES_ID=notes["id"])
    A.must("POST", f"/channels/{lobby['id']}/members", {"user_id": bob["id"]})
    for u in crowd:
        A.must("POST", f"/channels/{crowd_ch['id']}/members", {"user_id": u["id"]})

    # bob is an ordinary user who may hold tokens (the role Mattermost requires for that).
    A.must("PUT", f"/users/{bob['id']}/roles", {"roles": "system_user system_user_access_token"})
    bob_login = anon.call("POST", "/users/login", {"login_id": "bob", "password": USER_PW})
    if bob_login.status != 200 or "token" not in bob_login.headers:
        raise ApiFailure(f"bob login: {bob_login.status} {bob_login.body}")
    bob_session = anon.as_token(bob_login.headers["token"])
    bob_tok = bob_session.must("POST", f"/users/{bob['id']}/tokens", {"description": "n8n e2e (bob)"})
    c.tokens["bob"] = bob_tok["token"]
    bob_session.must("POST", "/users/logout")
    me = anon.as_token(c.tokens["bob"]).call("GET", "/users/me")
    pat.expect(
        me.status == 200 and me.body.get("id") == bob["id"],
        "bob's own PAT authenticates as bob",
        f"{me.status}",
    )
    listed = A.get(f"/users/{bob['id']}/tokens?page=0&per_page=100")
    pat.expect(
        any(t.get("id") == bob_tok["id"] and "token" not in t for t in listed),
        "bob's token listed without its secret",
        _short(listed),
    )

    # dave is touched last, so `since` (user.getById) can tell him apart from bob.
    time.sleep(0.05)
    dave = A.must("PUT", f"/users/{dave['id']}/patch", {"nickname": "touched last"})
    since_ms = dave["update_at"] - 1
    c.ids["DAVE_UPDATED_ISO"] = (
        datetime.datetime.fromtimestamp(since_ms / 1000, datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
    c.total_users = len(A.all_pages("/users"))
    pat.http = f"POST /users/:id/tokens x2 ({c.total_users} users set up)"
    print(
        f"   {c.total_users} users, team {team['id']}, lobby {lobby['id']}, crowd {crowd_ch['id']}",
        flush=True,
    )


def import_credentials(c: Ctx) -> None:
    def cred(meta: dict, token: str) -> dict:
        return {
            **meta,
            "type": "mattermostApi",
            "data": {"accessToken": token, "baseUrl": c.base_url, "allowUnauthorizedCerts": False},
        }

    c.creds = {
        "admin": cred(CRED_ADMIN, c.tokens["admin"]),
        "bob": cred(CRED_BOB, c.tokens["bob"]),
        "bad": cred(CRED_BAD, WRONG_TOKEN),
    }
    c.n8n.import_credentials(list(c.creds.values()))


# ---- 2. workflows ------------------------------------------------------------------------------


class NodeRun:
    """What one n8n node did: its output items, its error (with the server's body), and the
    HTTP exchanges the recorder saw while it ran."""

    def __init__(self, name: str, run: dict | None):
        self.name, self.items, self.error, self.exchanges, self.start = name, [], None, [], None
        if run is None:
            self.error = {"message": "node did not run"}
            return
        out = ((run.get("data") or {}).get("main") or [[]])[0] or []
        for it in out:
            if "error" in it:
                self.error = it["error"]
            else:
                self.items.append(it["json"])
        if run.get("error"):
            self.error = run["error"]
        self.start = run["startTime"]

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def server_error(self) -> dict:
        return ((self.error or {}).get("context") or {}).get("data") or {}

    def describe_error(self) -> str:
        e = self.error or {}
        return f"{e.get('message')} / {e.get('description')} / server: {_short(self.server_error, 200)}"

    def http(self) -> str:
        return summarize_exchanges(self.exchanges)


def summarize_exchanges(exchanges) -> str:
    if not exchanges:
        return "no request"
    groups: dict[tuple, list] = {}
    for e in exchanges:
        path = re.sub(r"[a-z0-9]{26}", ":id", e.path.split("?", 1)[0].removeprefix("/api/v4"))
        groups.setdefault((e.method, path), []).append(e.status)
    parts = []
    for (m, p), sts in groups.items():
        st = ",".join(str(s) for s in sorted(set(sts)))
        parts.append(f"{m} {p} {st}" + (f" x{len(sts)}" if len(sts) > 1 else ""))
    return "; ".join(parts)


def run_workflow(c: Ctx, filename: str) -> dict[str, NodeRun]:
    with open(os.path.join(HERE, "workflows", filename)) as f:
        text = f.read()

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in c.ids:
            raise KeyError(f"{filename}: no value for placeholder @@{key}@@")
        return c.ids[key]

    wf = json.loads(re.sub(r"@@([A-Z0-9_]+)@@", sub, text))
    print(f"== n8n: {wf['name']}", flush=True)
    c.n8n.import_workflow(wf)
    t0 = time.time() * 1000
    result = c.n8n.execute(wf["id"])
    run_data = result["data"]["resultData"]["runData"]
    top_error = result["data"]["resultData"].get("error")
    if top_error:
        print(f"  workflow error: {_short(top_error, 500)}", flush=True)
    runs = {
        n["name"]: NodeRun(n["name"], (run_data.get(n["name"]) or [None])[0])
        for n in wf["nodes"]
        if n["type"] == "n8n-nodes-base.mattermost"
    }
    # Nodes run one after another, so each request belongs to the last node started before it.
    started = sorted((r for r in runs.values() if r.start is not None), key=lambda r: r.start)
    for e in c.rec.between(t0, time.time() * 1000):
        owner = None
        for r in started:
            if r.start <= e.at_ms:
                owner = r
        if owner:
            owner.exchanges.append(e)
    return runs


def node_op(c: Ctx, runs: dict, name: str, expect_ok: bool = True) -> tuple[Op, NodeRun]:
    o, r = c.op(name), runs[name]
    o.http = r.http()
    o.expect(bool(r.exchanges), "the node's request reached Rustmost", "the recorder saw none")
    ran = expect_ok and o.expect(r.ok, "n8n node succeeded", r.describe_error())
    if ran and not (r.items and all(isinstance(i, dict) for i in r.items)):
        o.expect(False, "n8n output JSON objects", _short(r.items))
        r.error = {"message": "no usable output"}
    return o, r


@contextlib.contextmanager
def guard(o: Op):
    """A check that cannot read the server's state fails its own row, not the whole run."""
    try:
        yield
    except Exception as e:  # noqa: BLE001
        o.expect(False, "reading the server's state", f"{type(e).__name__}: {e}")


def expect_paged(o: Op, exchanges, prefix: str, min_pages: int = 2) -> None:
    """n8n's apiRequestAllItems: page=0,1,2… with per_page=100, each 200, until a page is `[]`."""
    pages = [e for e in exchanges if e.path.startswith(prefix)]
    numbers = [dict(kv.split("=", 1) for kv in e.path.split("?", 1)[1].split("&")).get("page") for e in pages]
    sizes = [e.items for e in pages]
    o.expect(
        len(pages) >= min_pages
        and numbers == [str(i) for i in range(len(pages))]
        and all(e.status == 200 for e in pages)
        and sizes[-1] == 0
        and all(n and n > 0 for n in sizes[:-1]),
        f"paged until an empty page (sizes {'+'.join(map(str, sizes))})",
        f"pages {numbers}, sizes {sizes}, statuses {[e.status for e in pages]} for {prefix}",
    )


def ids_of(items) -> list:
    return [i.get("id") for i in items]


# ---- phase 1: create and read ------------------------------------------------------------------


def phase1(c: Ctx) -> None:
    runs = run_workflow(c, "1-create-and-read.json")
    A, ids = c.admin, c.ids

    for name, cname, typ in [
        ("channel.create public", "n8n-public", "O"),
        ("channel.create private", "n8n-private", "P"),
    ]:
        o, r = node_op(c, runs, name)
        if r.ok:
            with guard(o):
                ch = A.get(f"/channels/{r.items[0]['id']}")
                o.equal(
                    (ch["name"], ch["type"], ch["team_id"], ch["delete_at"]),
                    (cname, typ, ids["TEAM_ID"], 0),
                    "channel stored with name, type, team",
                )
                o.equal(
                    A.call("GET", f"/channels/{ch['id']}/members/{ids['ADMIN_ID']}").status,
                    200,
                    "creator is a member",
                )
                ids["N8N_PUBLIC_ID" if typ == "O" else "N8N_PRIVATE_ID"] = ch["id"]

    o, r = node_op(c, runs, "channel.addUser")
    if r.ok:
        with guard(o):
            o.equal(
                (r.items[0].get("channel_id"), r.items[0].get("user_id")),
                (ids["LOBBY_ID"], ids["CAROL_ID"]),
                "returns the membership",
            )
            o.equal(
                A.call("GET", f"/channels/{ids['LOBBY_ID']}/members/{ids['CAROL_ID']}").status,
                200,
                "carol is a member of the lobby",
            )

    o, r = node_op(c, runs, "channel.members limit+resolveData")
    if r.ok:
        with guard(o):
            first = [m["user_id"] for m in A.get(f"/channels/{ids['LOBBY_ID']}/members?per_page=2")]
            o.equal(sorted(ids_of(r.items)), sorted(first), "the first 2 members, resolved to users")
            o.expect(all("username" in i for i in r.items), "items are users (resolveData)", _short(r.items))
            o.expect(
                any(
                    e.method == "POST"
                    and e.path.startswith("/api/v4/users/ids?per_page=2")
                    and e.status == 200
                    for e in r.exchanges
                ),
                "users resolved with POST users/ids?per_page=2",
                r.http(),
            )

    o, r = node_op(c, runs, "channel.members returnAll (paged)")
    if r.ok:
        with guard(o):
            want = sorted(m["user_id"] for m in A.all_pages(f"/channels/{ids['CROWD_ID']}/members"))
            o.expect(len(want) > 100, f"{len(want)} members (> 100)")
            o.equal(sorted(i.get("user_id") for i in r.items), want, "every member, across pages")
            expect_paged(o, r.exchanges, f"/api/v4/channels/{ids['CROWD_ID']}/members?", min_pages=3)

    o, r = node_op(c, runs, "channel.search")
    if r.ok:
        with guard(o):
            want = sorted(
                ch["id"] for ch in A.must("POST", f"/teams/{ids['TEAM_ID']}/channels/search", {"term": "e2e"})
            )
            got = sorted(ids_of(r.items))
            o.equal(got, want, "same channels as the server's search")
            o.expect(
                {ids["LOBBY_ID"], ids["CROWD_ID"]} <= set(got), "finds e2e-lobby and e2e-crowd", _short(got)
            )

    o, r = node_op(c, runs, "channel.statistics")
    if r.ok:
        with guard(o):
            n = len(A.all_pages(f"/channels/{ids['CROWD_ID']}/members"))
            o.equal(
                (r.items[0].get("channel_id"), r.items[0].get("member_count")),
                (ids["CROWD_ID"], n),
                f"member_count = {n} members listed",
            )

    o, r = node_op(c, runs, "message.post")
    if r.ok:
        with guard(o):
            p = A.get(f"/posts/{r.items[0]['id']}")
            o.equal(
                (p["channel_id"], p["user_id"], p["message"], p["root_id"]),
                (ids["LOBBY_ID"], ids["ADMIN_ID"], "Hello from n8n: the thread starts here", ""),
                "post stored in the lobby by admin",
            )
            ids["ROOT_POST_ID"] = p["id"]

    o, r = node_op(c, runs, "message.post attachments")
    if r.ok:
        with guard(o):
            check_attachment_post(o, A.get(f"/posts/{r.items[0]['id']}"), r.items[0])

    o, r = node_op(c, runs, "message.postEphemeral")
    if r.ok:
        with guard(o):
            it = r.items[0]
            o.equal(
                (it.get("channel_id"), it.get("message"), it.get("type")),
                (ids["LOBBY_ID"], "Only bob sees this", "system_ephemeral"),
                "returns an ephemeral post",
            )
            o.equal(
                A.call("GET", f"/posts/{it.get('id')}").status, 404, "not stored (GET /posts/{id} is 404)"
            )

    o, r = node_op(c, runs, "user.create email with +")
    if r.ok:
        with guard(o):
            u = A.get(f"/users/{r.items[0]['id']}")
            o.equal(
                (
                    u["username"],
                    u["email"],
                    u["first_name"],
                    u["last_name"],
                    u["nickname"],
                    u["auth_service"],
                ),
                # n8n sends auth_service "email"; Mattermost's createUser stores it as given (only
                # PUT /users/{id}/auth blanks "email"), and still treats the account as an e-mail one.
                ("n8n.created", "n8n+created@example.com", "Created", "By N8n", "robot", "email"),
                "user stored with its fields",
            )
            np = u.get("notify_props", {})
            o.equal(
                {
                    k: np.get(k)
                    for k in (
                        "channel",
                        "desktop",
                        "desktop_sound",
                        "email",
                        "first_name",
                        "mention_keys",
                        "push",
                    )
                },
                {
                    "channel": "true",
                    "desktop": "mention",
                    "desktop_sound": "false",
                    "email": "true",
                    "first_name": "true",
                    "mention_keys": "n8n,@n8n",
                    "push": "all",
                },
                "boolean notify_props stored as Mattermost strings",
            )
            by_email = A.call("GET", "/users/email/n8n+created@example.com")
            o.equal(
                (by_email.status, (by_email.body or {}).get("id")),
                (200, u["id"]),
                "found by its e-mail with a raw '+'",
            )
            login = c.anon.call(
                "POST",
                "/users/login",
                {"login_id": "n8n+created@example.com", "password": "N8n-Created-Passw0rd!"},
            )
            o.equal(login.status, 200, "can log in with the password n8n set")
            ids["N8N_CREATED_USER_ID"] = u["id"]

    o, r = node_op(c, runs, "user.create gitlab (no email)", expect_ok=False)
    o.expect(
        not r.ok and r.server_error.get("status_code") == 400,
        "rejected with 400 (Mattermost requires an e-mail)",
        r.describe_error() if r.error else _short(r.items),
    )
    o.equal(A.call("GET", "/users/username/n8n.gitlab").status, 404, "no user was created")

    all_users = A.all_pages("/users")
    o, r = node_op(c, runs, "user.getAll returnAll (paged)")
    if r.ok:
        with guard(o):
            o.expect(len(all_users) > 100, f"{len(all_users)} users (> 100)")
            o.equal(sorted(ids_of(r.items)), sorted(ids_of(all_users)), "every user, across pages")
            # n8n's user.getAll asks for `/users` under `/api/v4/`: the double slash must work.
            expect_paged(o, r.exchanges, "/api/v4//users?", min_pages=3)

    o, r = node_op(c, runs, "user.getAll limit")
    if r.ok:
        with guard(o):
            o.equal(
                ids_of(r.items),
                ids_of(A.get("/users?per_page=5")),
                "the first 5 users, in the server's order",
            )

    o, r = node_op(c, runs, "user.getAll inTeam sort lastActivityAt")
    if r.ok:
        with guard(o):
            want = A.all_pages(f"/users?in_team={ids['TEAM_ID']}&sort=last_activity_at", 100)
            o.equal(ids_of(r.items), ids_of(want), "team members, in the server's last-activity order")
            o.expect(
                ids["OUTSIDER_ID"] not in ids_of(r.items) and ids["BOB_ID"] in ids_of(r.items),
                "bob in, outsider out",
            )

    # n8n sends snakeCase("createdAt") = `created_at`, but Mattermost only knows `create_at` and
    # answers 400 (api4/user.go getUsers); a faithful server must do the same.
    o, r = node_op(c, runs, "user.getAll inTeam sort createdAt (400)", expect_ok=False)
    o.expect(
        not r.ok and r.server_error.get("status_code") == 400 and "sort" in json.dumps(r.server_error),
        "400 invalid `sort`, as Mattermost answers `sort=created_at`",
        r.describe_error() if r.error else _short(r.items),
    )

    o, r = node_op(c, runs, "user.getAll inChannel sort username")
    if r.ok:
        with guard(o):
            want = ids_of(A.all_pages(f"/users?in_channel={ids['LOBBY_ID']}&sort="))
            o.equal(ids_of(r.items), want, "lobby members as the server lists them")
            o.equal(
                sorted(ids_of(r.items)),
                sorted([ids["ADMIN_ID"], ids["BOB_ID"], ids["CAROL_ID"]]),
                "exactly admin, bob, carol",
            )

    o, r = node_op(c, runs, "user.getAll inTeam notInChannel")
    if r.ok:
        with guard(o):
            want = ids_of(A.all_pages(f"/users?in_team={ids['TEAM_ID']}&not_in_channel={ids['CROWD_ID']}"))
            o.equal(ids_of(r.items), want, "as the server lists them")
            o.equal(
                sorted(ids_of(r.items)),
                sorted([ids["BOB_ID"], ids["CAROL_ID"], ids["DAVE_ID"]]),
                "exactly bob, carol, dave",
            )

    o, r = node_op(c, runs, "user.getAll notInTeam")
    if r.ok:
        with guard(o):
            want = ids_of(A.all_pages(f"/users?not_in_team={ids['TEAM_ID']}"))
            o.equal(ids_of(r.items), want, "as the server lists them")
            o.equal(
                sorted(ids_of(r.items)),
                sorted([ids["OUTSIDER_ID"], ids.get("N8N_CREATED_USER_ID")]),
                "exactly outsider and n8n.created",
            )

    o, r = node_op(c, runs, "user.getByEmail with +")
    if r.ok:
        with guard(o):
            o.equal(ids_of(r.items), [ids["DAVE_ID"]], "dave+tag@example.com is dave")

    o, r = node_op(c, runs, "user.getById")
    if r.ok:
        with guard(o):
            o.equal(
                sorted(ids_of(r.items)),
                sorted([ids["BOB_ID"], ids["CAROL_ID"]]),
                "bob and carol (', ' split tolerated)",
            )

    o, r = node_op(c, runs, "user.getById since")
    if r.ok:
        with guard(o):
            o.equal(ids_of(r.items), [ids["DAVE_ID"]], "only dave changed since the given time")
            o.expect(any("since=" in e.path for e in r.exchanges), "sent ?since=", r.http())

    o, r = node_op(c, runs, "user.invite")
    if r.ok:
        with guard(o):
            o.equal(r.items[0].get("status") if r.items else None, "OK", "answered {status: OK}")
            want = {"invitee+one@example.com", "invitee.two@example.org"}
            got = wait_for_mail(c, want)
            o.expect(
                want <= set(got),
                "an invitation e-mail reached each address (SMTP sink)",
                f"got mail for {sorted(got)}",
            )
            o.expect(
                all("E2E Team" in got.get(a, "") for a in want),
                "each invitation names the team",
                _short({a: got.get(a, "")[:200] for a in want}),
            )


def check_attachment_post(o: Op, stored: dict, returned: dict) -> None:
    atts = (stored.get("props") or {}).get("attachments") or []
    if not o.expect(len(atts) == 1, "one attachment stored", _short(stored.get("props"))):
        return
    a = atts[0]
    o.equal(
        (a.get("title"), a.get("text"), a.get("color"), a.get("fallback"), a.get("pretext")),
        ("Nightly build", "All **green**", "#00ff00", "Nightly build: green", "Pipeline finished"),
        "attachment text fields stored",
    )
    o.equal(
        [(f.get("title"), f.get("value"), f.get("short")) for f in a.get("fields") or []],
        [("Duration", "4m 2s", True), ("Commit", "13ccd1c", False)],
        "fields stored with their short flags",
    )
    actions = a.get("actions") or []
    o.equal([x.get("name") for x in actions], ["Approve", "Deploy to"], "both actions stored")
    o.expect(all(x.get("id") for x in actions), "each action got an id", _short(actions))
    if len(actions) == 2:
        o.equal(
            (
                actions[1].get("type"),
                [(p.get("text"), p.get("value")) for p in actions[1].get("options") or []],
            ),
            ("select", [("Staging", "staging"), ("Production", "prod")]),
            "select action keeps its options",
        )
    for label, post in (("GET /posts/{id}", stored), ("n8n's output", returned)):
        leaked = "integration-context-must-stay-server-side" in json.dumps(post)
        has_integration = any(
            x.get("integration")
            for att in (post.get("props") or {}).get("attachments") or []
            for x in att.get("actions") or []
        )
        o.expect(
            not leaked and not has_integration,
            f"action `integration` not exposed in {label}",
            _short(post.get("props")),
        )


def wait_for_mail(c: Ctx, want: set, timeout_s: float = 15) -> dict[str, str]:
    """Recipient -> decoded subject and text of the mail the SMTP sink got for them."""
    deadline = time.time() + timeout_s
    while True:
        got: dict[str, str] = {}
        for path in sorted(glob.glob(os.path.join(c.args.mail_dir, "*.json"))):
            with open(path) as f:
                m = json.load(f)
            msg = email.message_from_string(m["data"], policy=email.policy.default)
            text = [str(msg["subject"] or "")]
            for part in msg.walk():
                if part.get_content_maintype() == "text":
                    text.append(part.get_content())
            for rcpt in m["rcpt_to"]:
                got[rcpt] = "\n".join(text)
        if want <= set(got) or time.time() > deadline:
            return got
        time.sleep(0.3)


# ---- phase 2: thread reply, reactions, archive, deactivate ---------------------------------------


def phase2(c: Ctx) -> None:
    runs = run_workflow(c, "2-thread-react-archive.json")
    A, ids = c.admin, c.ids

    o, r = node_op(c, runs, "message.post thread reply")
    if r.ok:
        with guard(o):
            p = A.get(f"/posts/{r.items[0]['id']}")
            o.equal(
                (p["root_id"], p["channel_id"]),
                (ids["ROOT_POST_ID"], ids["LOBBY_ID"]),
                "stored as a reply to the root post",
            )
            listed = (A.get(f"/channels/{ids['LOBBY_ID']}/posts").get("posts") or {}).get(p["id"]) or {}
            o.equal(listed.get("root_id"), ids["ROOT_POST_ID"], "listed in the channel's posts as a reply")
            ids["REPLY_POST_ID"] = p["id"]

    reactions = A.get(f"/posts/{ids['ROOT_POST_ID']}/reactions") or []
    stored = {(x["user_id"], x["emoji_name"]) for x in reactions}
    for name, emoji in (("reaction.create +1", "+1"), ("reaction.create :smile:", "smile")):
        o, r = node_op(c, runs, name)
        if r.ok:
            o.equal(
                (r.items[0].get("emoji_name"), r.items[0].get("post_id")),
                (emoji, ids["ROOT_POST_ID"]),
                f"returns the '{emoji}' reaction",
            )
            o.expect(
                (ids["ADMIN_ID"], emoji) in stored,
                f"'{emoji}' by admin stored on the post",
                _short(sorted(stored)),
            )
    c.reactions_after_phase2 = sorted(stored)

    o, r = node_op(c, runs, "channel.delete")
    if r.ok:
        with guard(o):
            ch = A.get(f"/channels/{ids['N8N_PUBLIC_ID']}")
            o.expect(ch.get("delete_at", 0) > 0, "channel archived (delete_at set)", _short(ch))

    o, r = node_op(c, runs, "user.deactive")
    if r.ok:
        with guard(o):
            u = A.get(f"/users/{ids['N8N_CREATED_USER_ID']}")
            o.expect(u.get("delete_at", 0) > 0, "user deactivated (delete_at set)", _short(u))
            login = c.anon.call(
                "POST", "/users/login", {"login_id": "n8n.created", "password": "N8n-Created-Passw0rd!"}
            )
            o.expect(login.status >= 400, "a deactivated user cannot log in", f"{login.status}")


# ---- phase 3: read and delete reactions, restore, delete a post, 403 and 401 --------------------


def phase3(c: Ctx) -> None:
    runs = run_workflow(c, "3-read-restore-errors.json")
    A, ids = c.admin, c.ids

    o, r = node_op(c, runs, "reaction.getAll")
    if r.ok:
        with guard(o):
            o.equal(
                sorted((i.get("user_id"), i.get("emoji_name")) for i in r.items),
                c.reactions_after_phase2,
                "the post's reactions",
            )

    o, r = node_op(c, runs, "reaction.getAll limit")
    if r.ok:
        with guard(o):
            o.expect(
                len(r.items) == 1
                and (r.items[0].get("user_id"), r.items[0].get("emoji_name")) in c.reactions_after_phase2,
                "one of them",
                _short(r.items),
            )

    o, r = node_op(c, runs, "reaction.delete +1")
    if r.ok:
        with guard(o):
            left = sorted(x["emoji_name"] for x in A.get(f"/posts/{ids['ROOT_POST_ID']}/reactions") or [])
            o.equal(left, ["smile"], "'+1' removed ('+' not read as a space), 'smile' kept")
            o.expect(
                any(e.method == "DELETE" and e.path.endswith("/reactions/+1") for e in r.exchanges),
                "path carried a raw '+1'",
                r.http(),
            )

    o, r = node_op(c, runs, "channel.restore")
    if r.ok:
        with guard(o):
            ch = A.get(f"/channels/{ids['N8N_PUBLIC_ID']}")
            o.equal(ch.get("delete_at"), 0, "channel restored (delete_at 0) after being archived in phase 2")

    o, r = node_op(c, runs, "message.delete")
    if r.ok:
        with guard(o):
            o.equal(A.call("GET", f"/posts/{ids['REPLY_POST_ID']}").status, 404, "reply gone")
            o.equal(A.call("GET", f"/posts/{ids['ROOT_POST_ID']}").status, 200, "root post kept")

    o, r = node_op(c, runs, "403: user.deactive as non-admin", expect_ok=False)
    expect_http_error(o, r, 403, "Forbidden - perhaps check your credentials?", c.tokens["bob"])
    o.equal(A.get(f"/users/{ids['ADMIN_ID']}").get("delete_at"), 0, "admin still active")

    o, r = node_op(c, runs, "403: user.create as non-admin", expect_ok=False)
    expect_http_error(o, r, 403, "Forbidden - perhaps check your credentials?", c.tokens["bob"])
    o.equal(A.call("GET", "/users/username/made.by.bob").status, 404, "no user was created")

    o, r = node_op(c, runs, "401: user.getByEmail with a wrong token", expect_ok=False)
    expect_http_error(o, r, 401, "Authorization failed - please check your credentials", WRONG_TOKEN)
    o.equal(len([e for e in r.exchanges if e.status == 401]), 2, "n8n retried the 401 once (2 requests)")


def expect_http_error(o: Op, r: NodeRun, status: int, n8n_message: str, token: str) -> None:
    if not o.expect(not r.ok, "n8n reports an error", _short(r.items)):
        return
    o.equal(r.server_error.get("status_code"), status, f"server answered {status}")
    o.equal(r.error.get("message"), n8n_message, "n8n's message")
    o.expect(
        bool(r.server_error.get("message")) and r.error.get("description") == r.server_error.get("message"),
        "n8n shows the server's message",
        r.describe_error(),
    )
    o.expect(
        r.exchanges and all(e.status == status and e.authorization == f"Bearer {token}" for e in r.exchanges),
        f"every request carried that credential and got {status}",
        r.http(),
    )


# ---- 4. credential test and loaders through n8n's REST API ---------------------------------------


def rest_phase(c: Ctx) -> None:
    print("== n8n start: credential test and loaders over n8n's REST API", flush=True)
    n, A, ids = c.n8n, c.admin, c.ids
    n.start()
    n.setup_owner()

    def timed(fn, *a):
        t0 = time.time() * 1000
        res = fn(*a)
        return res, c.rec.between(t0, time.time() * 1000)

    for who, label in (("admin", "credential test (admin PAT)"), ("bob", "credential test (non-admin PAT)")):
        o = c.op(label)
        (status, body), ex = timed(n.test_credential, c.creds[who])
        o.http = summarize_exchanges(ex)
        o.equal(((body or {}).get("data") or {}).get("status"), "OK", "n8n: Connection successful")
        o.expect(
            len(ex) == 1 and ex[0].method == "GET" and ex[0].path == "/api/v4/users" and ex[0].status == 200,
            "one GET /api/v4/users, 200",
            o.http,
        )

    o = c.op("credential test 401 (wrong token)")
    (status, body), ex = timed(n.test_credential, c.creds["bad"])
    o.http = summarize_exchanges(ex)
    data = (body or {}).get("data") or {}
    o.equal(data.get("status"), "Error", "n8n reports the test failed")
    o.expect("Authorization failed" in str(data.get("message")), "n8n: Authorization failed", _short(body))
    o.expect(
        len(ex) == 2 and all(e.status == 401 for e in ex),
        "two GET /api/v4/users, both 401 (n8n retries once)",
        o.http,
    )

    def loader(label: str, method: str, cred: dict, params: dict | None = None):
        o = c.op(label)
        (status, body), ex = timed(n.load_options, method, cred, params)
        o.http = summarize_exchanges(ex)
        return o, status, body, ex

    o, status, body, ex = loader("loader getTeams", "getTeams", c.creds["admin"])
    if o.equal(status, 200, "loader answered"):
        want = sorted(
            (f"{t['display_name']} ({'public' if t['type'] == 'O' else 'private'})", t["id"])
            for t in A.all_pages("/users/me/teams", 100)
            if t.get("delete_at") == 0
        )
        o.equal(
            sorted((x["name"], x["value"]) for x in body["data"]), want, "labels and ids of admin's teams"
        )
        o.expect(
            ("E2E Annex (private)", ids["ANNEX_ID"]) in want
            and ("E2E Team (public)", ids["TEAM_ID"]) in want,
            "both teams listed",
        )
        expect_paged(o, ex, "/api/v4/users/me/teams?")

    o, status, body, ex = loader("loader getChannels", "getChannels", c.creds["admin"])
    if o.equal(status, 200, "loader answered"):
        got = [(x["name"], x["value"]) for x in body["data"]]
        want = sorted(
            (
                f"{ch.get('team_display_name')} - {ch['display_name']} ({'public' if ch['type'] == 'O' else 'private'})",
                ch["id"],
            )
            for ch in A.all_pages("/channels", 100)
            if ch.get("delete_at") == 0 and ch.get("display_name") and ch.get("name")
        )
        o.equal(got, want, "every live channel, labelled '<team> - <channel> (type)'")
        for label, cid in (
            ("E2E Team - E2E Lobby (public)", ids["LOBBY_ID"]),
            ("E2E Team - E2E Secret (private)", ids["SECRET_ID"]),
            ("E2E Team - N8N Public (public)", ids.get("N8N_PUBLIC_ID")),
            ("E2E Annex - Annex Notes (public)", ids["NOTES_ID"]),
        ):
            o.expect((label, cid) in got, f"lists '{label}'", _short(got))
        expect_paged(o, ex, "/api/v4/channels?")

    o, status, body, ex = loader(
        "loader getChannelsInTeam", "getChannelsInTeam", c.creds["admin"], {"teamId": ids["TEAM_ID"]}
    )
    if o.equal(status, 200, "loader answered"):
        kinds = {"O": "public", "P": "private", "D": "direct", "G": "group"}
        want = sorted(
            (f"{ch['display_name']} ({kinds[ch['type']]})", ch["id"])
            for ch in A.all_pages(f"/users/me/teams/{ids['TEAM_ID']}/channels", 100)
            if ch.get("delete_at") == 0 and ch.get("display_name") and ch.get("name")
        )
        got = sorted((x["name"], x["value"]) for x in body["data"])
        o.equal(got, want, "admin's channels in E2E Team")
        o.expect(
            ("E2E Crowd (public)", ids["CROWD_ID"]) in got
            and ("E2E Secret (private)", ids["SECRET_ID"]) in got,
            "lists e2e-crowd and e2e-secret",
            _short(got),
        )
        expect_paged(o, ex, f"/api/v4/users/me/teams/{ids['TEAM_ID']}/channels?")

    o, status, body, ex = loader("loader getUsers", "getUsers", c.creds["admin"])
    if o.equal(status, 200, "loader answered"):
        live = sorted((u["username"], u["id"]) for u in A.all_pages("/users", 100) if u.get("delete_at") == 0)
        got = sorted((x["name"], x["value"]) for x in body["data"])
        o.expect(len(got) > 100, f"{len(got)} users (> 100)")
        o.equal(got, live, "every active user by username")
        o.expect(
            ("n8n.created", ids.get("N8N_CREATED_USER_ID")) not in got, "the deactivated user is left out"
        )
        expect_paged(o, ex, "/api/v4/users?", min_pages=3)

    o, status, body, ex = loader("403: loader getChannels (non-admin PAT)", "getChannels", c.creds["bob"])
    o.expect(status != 200, "loader fails", f"{status} {_short(body)}")
    o.expect("Forbidden" in json.dumps(body), "n8n says Forbidden", _short(body))
    o.expect(
        bool(ex) and all(e.status == 403 and e.path.startswith("/api/v4/channels?") for e in ex),
        "GET /api/v4/channels answered 403",
        o.http,
    )


# ---- 4b. integrations that call n8n: a slash command and outgoing webhooks --------------------


def webhook_workflow(wid: str, path: str, answer: dict, respond: bool) -> dict:
    """An n8n workflow started by a Webhook trigger at /webhook/<path>, followed by `answer`:
    a Respond to Webhook node (its JSON is Rustmost's reply) or any node run after n8n has
    already answered (responseMode onReceived)."""
    trigger = {
        "id": f"{wid}-hook",
        "name": "Webhook",
        "type": "n8n-nodes-base.webhook",
        "typeVersion": 2,
        "position": [0, 0],
        "webhookId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"rustmost-e2e/{path}")),
        "parameters": {
            "httpMethod": "POST",
            "path": path,
            "responseMode": "responseNode" if respond else "onReceived",
            "options": {},
        },
    }
    return {
        "name": f"Rustmost integration: {path}",
        "nodes": [trigger, {**answer, "position": [300, 0]}],
        "connections": {"Webhook": {"main": [[{"node": answer["name"], "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1"},
        "active": False,
    }


def integrations_phase(c: Ctx) -> None:
    """Rustmost calls n8n: a custom slash command and an outgoing webhook (JSON) post to an n8n
    Webhook trigger whose Respond to Webhook node answers in the channel; a second outgoing
    webhook (form) starts a workflow that answers through n8n's Mattermost node with the PAT."""
    print("== integrations: a slash command and outgoing webhooks call n8n workflows", flush=True)
    n, A, ids = c.n8n, c.admin, c.ids
    hook_base = f"http://127.0.0.1:{c.args.n8n_port}/webhook"
    signed = '(String($json.headers["x-rustmost-signature"] || "").startsWith("v0=") ? " (signed)" : " (unsigned)")'
    reply = {
        "id": "int-respond",
        "name": "Respond",
        "type": "n8n-nodes-base.respondToWebhook",
        "typeVersion": 1.1,
        "parameters": {
            "respondWith": "json",
            "responseBody": "={{ JSON.stringify({response_type: 'in_channel', text: 'n8n heard: ' + "
            + "$json.body.text + " + signed + "}) }}",
            "options": {},
        },
    }
    via_node = {
        "id": "int-post",
        "name": "message.post",
        "type": "n8n-nodes-base.mattermost",
        "typeVersion": 1,
        "credentials": {"mattermostApi": {"id": CRED_ADMIN["id"], "name": CRED_ADMIN["name"]}},
        "parameters": {
            "resource": "message",
            "operation": "post",
            "channelId": "={{ $json.body.channel_id }}",
            "message": "={{ 'n8n node: ' + $json.body.text }}",
            "attachments": [],
            "otherOptions": {},
        },
    }
    o = c.op("n8n webhook workflows (setup)")
    for wid, path, answer, respond in (
        ("rmE2eIntReply0001", "rustmost-reply", reply, True),
        ("rmE2eIntNode00001", "rustmost-node", via_node, False),
    ):
        status, body = n.rest("POST", "/rest/workflows", webhook_workflow(wid, path, answer, respond))
        data = (body or {}).get("data") if isinstance(body, dict) else None
        if not o.expect(status == 200 and data, f"workflow {path} created", f"{status} {_short(body)}"):
            return
        status, body = n.rest("POST", f"/rest/workflows/{data['id']}/activate", {"versionId": data["versionId"]})
        if not o.expect(status == 200, f"workflow {path} active", f"{status} {_short(body)}"):
            return

    # The callbacks go to n8n on this machine, which the outgoing-request guard refuses unless
    # it is allowed, as upstream's AllowedUntrustedInternalConnections.
    A.must("PUT", "/config/patch", {"ServiceSettings": {"AllowedUntrustedInternalConnections": "127.0.0.1"}})
    ch = A.must(
        "POST",
        "/channels",
        {"team_id": ids["TEAM_ID"], "name": "n8n-integrations", "display_name": "N8N Integrations", "type": "O"},
    )

    def wait_post(message: str, timeout_s: float = 20) -> dict | None:
        end = time.time() + timeout_s
        while time.time() < end:
            page = A.get(f"/channels/{ch['id']}/posts")
            for p in page["posts"].values():
                if p["message"] == message:
                    return p
            time.sleep(0.3)
        return None

    o = c.op("slash command -> n8n Webhook -> in_channel answer")
    A.must(
        "POST",
        "/commands",
        {"team_id": ids["TEAM_ID"], "trigger": "n8n", "method": "P", "display_name": "n8n",
         "url": f"{hook_base}/rustmost-reply"},
    )
    r = A.call("POST", "/commands/execute", {"channel_id": ch["id"], "command": "/n8n deploy please"})
    o.http = f"POST /commands/execute {r.status}"
    if o.equal(r.status, 200, "execute answered 200"):
        p = wait_post("n8n heard: deploy please (signed)")
        if o.expect(p is not None, "n8n's answer posted in the channel, the request signed"):
            o.equal(p["user_id"], ids["ADMIN_ID"], "posted as the invoking user")
            o.equal(p["props"].get("from_webhook"), "true", "marked from_webhook")

    o = c.op("outgoing webhook (JSON) -> n8n Webhook -> reply")
    A.must(
        "POST",
        "/hooks/outgoing",
        {"team_id": ids["TEAM_ID"], "channel_id": ch["id"], "display_name": "n8n reply",
         "trigger_words": ["n8n-ask"], "callback_urls": [f"{hook_base}/rustmost-reply"],
         "content_type": "application/json"},
    )
    A.must("POST", "/posts", {"channel_id": ch["id"], "message": "n8n-ask what time is it"})
    p = wait_post("n8n heard: n8n-ask what time is it (signed)")
    if o.expect(p is not None, "n8n's reply posted in the channel, the request signed"):
        o.equal(p["props"].get("from_webhook"), "true", "marked from_webhook")

    o = c.op("outgoing webhook (form) -> n8n -> Mattermost node (PAT)")
    A.must(
        "POST",
        "/hooks/outgoing",
        {"team_id": ids["TEAM_ID"], "channel_id": ch["id"], "display_name": "n8n node",
         "trigger_words": ["n8n-node"], "callback_urls": [f"{hook_base}/rustmost-node"]},
    )
    t0 = time.time() * 1000
    A.must("POST", "/posts", {"channel_id": ch["id"], "message": "n8n-node hello"})
    p = wait_post("n8n node: n8n-node hello")
    o.http = summarize_exchanges(c.rec.between(t0, time.time() * 1000))
    if o.expect(p is not None, "the workflow's Mattermost node posted the answer"):
        o.equal(p["user_id"], ids["ADMIN_ID"], "posted with the admin PAT")
        o.expect("from_webhook" not in p["props"], "an ordinary API post", _short(p["props"]))


# ---- 5. the credentials n8n used --------------------------------------------------------------


def audit_tokens(c: Ctx) -> None:
    o = c.op("every n8n request used a PAT")
    allowed = {f"Bearer {c.tokens['admin']}", f"Bearer {c.tokens['bob']}", f"Bearer {WRONG_TOKEN}"}
    seen = {e.authorization for e in c.rec.exchanges}
    o.http = f"{len(c.rec.exchanges)} requests"
    o.expect(
        bool(seen) and seen <= allowed,
        "Authorization was always one of the imported tokens",
        f"{len(seen - allowed)} other values",
    )


# ---- main ---------------------------------------------------------------------------------------


def summary(c: Ctx) -> int:
    failed = [o for o in c.ops if o.failures]
    w = max(len(o.name) for o in c.ops)
    hw = min(60, max(len(o.http) for o in c.ops))
    print("\n== summary")
    print(f"{'operation':<{w}}  {'HTTP (method path status)':<{hw}}  result")
    for o in c.ops:
        mark = "FAIL" if o.failures else "ok"
        verified = "; ".join(o.verified) if not o.failures else " | ".join(o.failures)
        http = o.http if len(o.http) <= hw else o.http[: hw - 1] + "…"
        print(f"{o.name:<{w}}  {http:<{hw}}  {mark}: {verified}")
    print(f"\n{len(c.ops) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rustmost-port", type=int, required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--mail-dir", required=True)
    p.add_argument("--n8n-bin", required=True, help="node_modules/.bin of the n8n install")
    p.add_argument("--n8n-port", type=int, required=True)
    p.add_argument("--broker-port", type=int, required=True)
    p.add_argument("--work", required=True)
    c = Ctx(p.parse_args())
    t0 = time.time()
    try:
        setup(c)
        import_credentials(c)
        for step in (phase1, phase2, phase3, rest_phase, integrations_phase, audit_tokens):
            step(c)
    except Exception as e:  # noqa: BLE001 -- any failure must end in the summary, not a bare trace
        o = c.op("run aborted")
        o.expect(False, "the run could not go on", str(e))
        traceback.print_exc()
    finally:
        c.n8n.stop()
        c.rec.close()
    print(f"(e2e took {time.time() - t0:.0f}s)")
    return summary(c)


if __name__ == "__main__":
    sys.exit(main())
