"""Incoming webhooks fed by real clients from PyPI: apprise 2.2.0 (`mmost://`, and `mmosts://` to a
TLS server whose certificate is refused unless trusted or `verify=no`) and matterhook 0.3
(attachments with a null text). The username override is honoured only while the server's switch
is on. Exits non-zero on any failure."""
import os
import sys
import time
from urllib.parse import urlparse

import apprise
import requests
from matterhook import Attachment, Webhook

RUN = format(int(time.time() * 1000), "x")


class Server:
    def __init__(self, base, verify=True):
        self.base = base.rstrip("/")
        self.verify = verify
        r = requests.post(f"{self.base}/api/v4/users/login", verify=verify,
                          json={"login_id": "admin", "password": os.environ["ADMIN_PASSWORD"]})
        assert r.status_code == 200, r.text
        self.token = r.headers["Token"]

    def api(self, method, path, body=None, ok=(200, 201)):
        r = requests.request(method, f"{self.base}/api/v4{path}", json=body, verify=self.verify,
                             headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code in ok, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def last_post(self, channel_id):
        page = self.api("GET", f"/channels/{channel_id}/posts")
        return page["posts"][page["order"][0]]

    def overrides(self, on):
        self.api("PUT", "/config/patch", {"ServiceSettings": {
            "EnablePostUsernameOverride": on, "EnablePostIconOverride": on}})


def setup(srv, name):
    team = srv.api("POST", "/teams", {"name": f"{name}{RUN}", "display_name": name, "type": "O"})
    chans = {c: srv.api("POST", "/channels", {"team_id": team["id"], "name": c, "display_name": c, "type": "O"})
             for c in ("alerts", "other")}
    hook = srv.api("POST", "/hooks/incoming", {"channel_id": chans["alerts"]["id"], "display_name": "ops"})
    return chans, hook["id"]


def notify(url, body):
    a = apprise.Apprise()
    assert a.add(url), f"apprise refused the URL {url}"
    return a.notify(body=body)


def apprise_and_matterhook(srv):
    chans, hook = setup(srv, "ig")
    alerts, other = chans["alerts"]["id"], chans["other"]["id"]
    u = urlparse(srv.base)
    host = f"{u.hostname}:{u.port}"

    srv.overrides(False)
    assert notify(f"mmost://apprise-bot@{host}/{hook}?image=no", "disk 91% full")
    p = srv.last_post(alerts)
    assert p["message"] == "disk 91% full", p
    assert p["props"].get("from_webhook") == "true", p
    assert "override_username" not in p["props"], f"override while the switch is off: {p}"

    srv.overrides(True)
    assert notify(f"mmost://apprise-bot@{host}/{hook}", "disk 95% full")
    p = srv.last_post(alerts)
    assert p["message"] == "disk 95% full", p
    assert p["props"].get("override_username") == "apprise-bot", p
    assert p["props"].get("override_icon_url"), f"apprise sends its icon unless image=no: {p}"

    assert notify(f"mmost://{host}/{hook}?to=other&image=no", "to the other channel")
    p = srv.last_post(other)
    assert p["message"] == "to the other channel", p
    assert p["props"].get("override_username") == "Apprise", p
    print("apprise mmost://: OK")

    att = Attachment(fallback="build 42 passed", color="#2eb886", title="Build 42", text="all green",
                     fields=[{"title": "branch", "value": "main", "short": True}])
    Webhook(srv.base, hook, username="ci-bot").send(attachments=[att.payload])
    p = srv.last_post(alerts)
    assert p["message"] == "", f"a null text posts no message: {p}"
    a = p["props"]["attachments"][0]
    assert (a["title"], a["text"], a["color"]) == ("Build 42", "all green", "#2eb886"), a
    assert a["fields"][0]["value"] == "main", a
    assert p["props"].get("override_username") == "ci-bot", p
    Webhook(srv.base, hook).send("matterhook to other", channel="other")
    assert srv.last_post(other)["message"] == "matterhook to other"
    srv.overrides(False)
    Webhook(srv.base, hook, username="ci-bot").send("no override now")
    p = srv.last_post(alerts)
    assert p["message"] == "no override now" and "override_username" not in p["props"], p
    print("matterhook: OK")


def apprise_tls(srv, ca_file):
    chans, hook = setup(srv, "tls")
    u = urlparse(srv.base)
    url = f"mmosts://{u.hostname}:{u.port}/{hook}?image=no"
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    assert not notify(url, "untrusted"), "a self-signed certificate must be refused"
    assert notify(url + "&verify=no", "trusted by verify=no")
    assert srv.last_post(chans["alerts"]["id"])["message"] == "trusted by verify=no"
    os.environ["REQUESTS_CA_BUNDLE"] = ca_file
    try:
        assert notify(url, "verified against its CA")
    finally:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    assert srv.last_post(chans["alerts"]["id"])["message"] == "verified against its CA"
    print("apprise mmosts://: OK")


apprise_and_matterhook(Server(os.environ["RUSTMOST_URL"]))
if os.environ.get("RUSTMOST_TLS_URL"):
    apprise_tls(Server(os.environ["RUSTMOST_TLS_URL"], verify=os.environ["RUSTMOST_TLS_CA"]),
                os.environ["RUSTMOST_TLS_CA"])
else:
    sys.exit("RUSTMOST_TLS_URL is not set: the mmosts:// check needs the TLS server run.sh starts")
