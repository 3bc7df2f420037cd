"""Drives a Rustmost server with the Python mattermostdriver: log in, read users, make a personal
access token and use it as the driver's `token` option. Exits non-zero on any failure."""
import os
import sys
import time
from urllib.parse import urlparse

from mattermostdriver import Driver
from mattermostdriver.exceptions import InvalidOrMissingParameters, NoAccessTokenProvided, ResourceNotFound

u = urlparse(os.environ["RUSTMOST_URL"])
base = dict(url=u.hostname, port=u.port, scheme=u.scheme, basepath="/api/v4", verify=False)
run = format(int(time.time() * 1000), "x")

admin = Driver(dict(base, login_id="admin", password=os.environ["ADMIN_PASSWORD"]))
admin.login()
assert admin.users.get_user("me")["username"] == "admin"
admin.client.make_request("put", "/config/patch", options={"ServiceSettings": {"EnableUserAccessTokens": True}})
name = f"py{run}"
user = admin.users.create_user(options={"username": name, "email": f"{name}@example.com", "password": "Py-Passw0rd!"})
admin.users.update_user_role(user["id"], options={"roles": "system_user system_user_access_token"})
tok = admin.users.create_user_access_token(user["id"], options={"description": "python"})
assert tok["token"] and tok["token"] != tok["id"]

bot = Driver(dict(base, token=tok["token"]))
bot.login()
assert bot.users.get_user("me")["id"] == user["id"]
assert len(bot.users.get_users(params={"page": 0, "per_page": 100})) >= 2
try:
    admin.users.get_user("aaaaaaaaaaaaaaaaaaaaaaaaaa")
    sys.exit("expected 404")
except ResourceNotFound:
    pass
assert admin.users.get_user_access_token(tok["id"])["description"] == "python"
found = admin.users.search_tokens(options={"term": name})
assert [t["id"] for t in found] == [tok["id"]], found
admin.users.disable_personal_access_token(options={"token_id": tok["id"]})
try:
    bot.users.get_user("me")
    sys.exit("disabled token still works")
except NoAccessTokenProvided:
    pass
admin.users.enable_personal_access_token(options={"token_id": tok["id"]})
assert bot.users.get_user("me")["id"] == user["id"]
admin.client.post("/users/tokens/revoke", options={"token_id": tok["id"]})
try:
    bot.users.get_user("me")
    sys.exit("revoked token still works")
except NoAccessTokenProvided:
    pass
try:
    admin.users.create_user(options={"username": name, "email": f"x{name}@example.com", "password": "Py-Passw0rd!"})
    sys.exit("expected username conflict")
except InvalidOrMissingParameters:
    pass
print("mattermostdriver: guide flow OK")
