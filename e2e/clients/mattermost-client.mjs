// Drives a Rustmost server with Mattermost's official JavaScript client (@mattermost/client),
// following the credentials guide: admin enables tokens, grants the role, the user makes a token,
// and a second client authenticated only by that token works. Exits non-zero on any failure.
import pkg from '@mattermost/client';
const {Client4} = pkg;
import assert from 'node:assert/strict';

const url = process.env.RUSTMOST_URL;
const admin = new Client4();
admin.setUrl(url);
const run = Date.now().toString(36);

async function expectError(p, status, id) {
    try {
        await p;
    } catch (e) {
        assert.equal(e.status_code, status, `status for ${id}: ${e.message}`);
        assert.equal(e.server_error_id, id);
        return;
    }
    assert.fail(`expected ${status} ${id}`);
}

const me = await admin.login('admin', process.env.ADMIN_PASSWORD);
assert.equal(me.username, 'admin');
assert.match(admin.getServerVersion(), /^10\.3\.0\./);
const ping = await admin.ping();
assert.equal(ping.status, 'OK');
const cfg = await admin.getClientConfig();
assert.equal(cfg.Version, '10.3.0');

await admin.patchConfig({ServiceSettings: {EnableUserAccessTokens: true}});
const username = `js${run}`;
const user = await admin.createUser({username, email: `${username}@example.com`, password: 'Js-Passw0rd!'});
const profiles = await admin.getProfiles(0, 200);
assert.ok(profiles.some((p) => p.id === user.id));
await admin.updateUserRoles(user.id, 'system_user system_user_access_token');

const alice = new Client4();
alice.setUrl(url);
await alice.login(username, 'Js-Passw0rd!');
const token = await alice.createUserAccessToken(user.id, 'n8n');
assert.equal(token.description, 'n8n');
assert.ok(token.token && token.token !== token.id);
const tokens = await alice.getUserAccessTokensForUser(user.id);
assert.ok(tokens.some((t) => t.id === token.id && !t.token));

const viaToken = new Client4();
viaToken.setUrl(url);
viaToken.setToken(token.token);
assert.equal((await viaToken.getMe()).id, user.id);
assert.ok((await viaToken.getProfiles(0, 100)).length >= 2);
await alice.disableUserAccessToken(token.id);
await expectError(viaToken.getMe(), 401, 'api.context.session_expired.app_error');
await alice.enableUserAccessToken(token.id);
assert.equal((await viaToken.getMe()).id, user.id);
await alice.revokeUserAccessToken(token.id);
await expectError(viaToken.getMe(), 401, 'api.context.session_expired.app_error');
await expectError(admin.getUser('aaaaaaaaaaaaaaaaaaaaaaaaaa'), 404, 'app.user.missing_account.const');
console.log('@mattermost/client: guide flow OK');
