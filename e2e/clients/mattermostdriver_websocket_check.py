"""mattermostdriver 7.3.2's websocket (`init_websocket`) against Rustmost: a user logged in with a
personal access token authenticates the socket by challenge, gets `hello` at seq 0, and receives
the `posted` event of a post made in its channel, with the fields bots read. Exits non-zero on
any failure or after 30 s."""
import json
import os
import threading
import time
from urllib.parse import urlparse

from mattermostdriver import Driver

u = urlparse(os.environ["RUSTMOST_URL"])
base = dict(url=u.hostname, port=u.port, scheme=u.scheme, basepath="/api/v4", verify=False)
run = format(int(time.time() * 1000), "x")

admin = Driver(dict(base, login_id="admin", password=os.environ["ADMIN_PASSWORD"]))
admin.login()
admin.client.make_request("put", "/config/patch", options={"ServiceSettings": {"EnableUserAccessTokens": True}})
team = admin.teams.create_team(options={"name": f"py{run}", "display_name": "Py", "type": "O"})
channel = admin.channels.create_channel(options={"team_id": team["id"], "name": "feed", "display_name": "Feed", "type": "O"})
name = f"pyws{run}"
user = admin.users.create_user(options={"username": name, "email": f"{name}@example.com", "password": "Py-Passw0rd!"})
admin.users.update_user_role(user["id"], options={"roles": "system_user system_user_access_token"})
admin.teams.add_user_to_team(team["id"], options={"team_id": team["id"], "user_id": user["id"]})
admin.channels.add_user(channel["id"], options={"user_id": user["id"]})
tok = admin.users.create_user_access_token(user["id"], options={"description": "websocket"})

listener = Driver(dict(base, token=tok["token"], keepalive=False))
listener.login()
seen = []
hello = threading.Event()
posted = {}
failures = []


def post_after_hello():
    if not hello.wait(15):
        return
    p = admin.posts.create_post(options={"channel_id": channel["id"], "message": "heard by mattermostdriver"})
    posted["id"] = p["id"]


def check(ev):
    if ev.get("event") == "hello":
        assert ev["seq"] == 0, ev
        hello.set()
    if ev.get("event") == "posted":
        post = json.loads(ev["data"]["post"])
        # Matched by its text, not by the id the POST answers: the event may arrive before the
        # POST's own response does. The id is compared once both are known.
        if post["message"] == "heard by mattermostdriver":
            posted["event_id"] = post["id"]
            assert post["channel_id"] == channel["id"] and "root_id" in post, post
            assert ev["data"]["channel_name"] == "feed", ev
            assert ev["data"]["channel_type"] == "O", ev
            assert ev["data"]["sender_name"] == "@admin", ev
            assert ev["data"]["team_id"] == team["id"], ev
            posted["heard"] = True
            listener.websocket.disconnect()


async def on_event(message):
    # An exception here would only make the driver reconnect, so it is kept and the loop ended.
    ev = json.loads(message)
    seen.append(ev)
    try:
        check(ev)
    except AssertionError as e:
        failures.append(e)
        listener.websocket.disconnect()


def give_up():
    print(f"mattermostdriver websocket: no posted event within 30 s; saw {[e.get('event') for e in seen]}")
    os._exit(1)


timer = threading.Timer(30, give_up)
timer.start()
threading.Thread(target=post_after_hello, daemon=True).start()
listener.init_websocket(on_event)
timer.cancel()
if failures:
    raise failures[0]
assert hello.is_set() and posted.get("heard"), seen
for _ in range(100):
    if "id" in posted:
        break
    time.sleep(0.1)
assert posted.get("id") == posted["event_id"], posted
seqs = [e["seq"] for e in seen if "event" in e]
assert seqs == list(range(len(seqs))), seqs
print("mattermostdriver websocket: hello and posted OK")
