// Mattermost's official WebSocketClient (@mattermost/client) against a Rustmost server:
// - authenticated by `authentication_challenge` (Node's own WebSocket, as a browser would):
//   `hello` at seq 0, then `posted` (with the channel and sender fields), `reaction_added` and
//   `typing`, each event's seq consecutive (the client reconnects on any gap);
// - authenticated at the upgrade (the `ws` package, with an Authorization header): after a
//   forced disconnect it reconnects with its connection_id and sequence_number, keeps its
//   connection id, and receives the post made while it was away, with no "missed events".
// Exits non-zero on any failure.
import pkg from '@mattermost/client';
const {Client4, WebSocketClient} = pkg;
import WS from 'ws';
import assert from 'node:assert/strict';

const url = process.env.RUSTMOST_URL;
const wsUrl = `${url.replace(/^http/, 'ws')}/api/v4/websocket`;
const run = Date.now().toString(36);

const admin = new Client4();
admin.setUrl(url);
const me = await admin.login('admin', process.env.ADMIN_PASSWORD);
const team = await admin.createTeam({name: `ws${run}`, display_name: 'WS', type: 'O'});
const channel = await admin.createChannel({team_id: team.id, name: 'live', display_name: 'Live', type: 'O'});
const username = `ws${run}`;
const user = await admin.createUser({username, email: `${username}@example.com`, password: 'Ws-Passw0rd!'});
await admin.addToTeam(team.id, user.id);
await admin.addToChannel(user.id, channel.id);
const alice = new Client4();
alice.setUrl(url);
await alice.login(username, 'Ws-Passw0rd!');

// Every event a client receives, and a way to wait for one.
function listen(client) {
    const events = [];
    const waiting = [];
    const closes = [];
    client.addMessageListener((m) => {
        events.push(m);
        for (const w of waiting.splice(0)) {
            if (w.pred(m)) {
                w.resolve(m);
            } else {
                waiting.push(w);
            }
        }
    });
    client.addCloseListener((n) => closes.push(n));
    return {
        events,
        closes,
        waitFor(pred, what, ms = 10000) {
            const seen = events.find(pred);
            if (seen) {
                return Promise.resolve(seen);
            }
            return new Promise((resolve, reject) => {
                const t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(events.map((e) => e.event))}`)), ms);
                waiting.push({pred, resolve: (m) => { clearTimeout(t); resolve(m); }});
            });
        },
    };
}
const postId = (m) => JSON.parse(m.data.post).id;

// 1. The challenge path, with Node's WebSocket.
const a = new WebSocketClient();
const la = listen(a);
a.initialize(wsUrl, alice.getToken());
const hello = await la.waitFor((m) => m.event === 'hello', 'hello');
assert.equal(hello.seq, 0);
assert.equal(hello.data.connection_id.length, 26);
assert.equal(hello.broadcast.user_id, user.id);

const p = await admin.createPost({channel_id: channel.id, message: 'hello sockets'});
const posted = await la.waitFor((m) => m.event === 'posted' && postId(m) === p.id, 'posted');
assert.equal(posted.data.channel_name, 'live');
assert.equal(posted.data.channel_display_name, 'Live');
assert.equal(posted.data.channel_type, 'O');
assert.equal(posted.data.sender_name, '@admin');
assert.equal(posted.data.team_id, team.id);
assert.equal(JSON.parse(posted.data.post).message, 'hello sockets');

await admin.addReaction(me.id, p.id, 'tada');
const reaction = await la.waitFor((m) => m.event === 'reaction_added', 'reaction_added');
assert.equal(JSON.parse(reaction.data.reaction).emoji_name, 'tada');

const b = new WebSocketClient();
const lb = listen(b);
b.initialize(wsUrl, admin.getToken());
await lb.waitFor((m) => m.event === 'hello', 'hello for the admin');
b.userTyping(channel.id, '');
const typing = await la.waitFor((m) => m.event === 'typing', 'typing');
assert.equal(typing.data.user_id, me.id);
assert.equal(typing.broadcast.channel_id, channel.id);
assert.ok(!lb.events.some((m) => m.event === 'typing'), 'the typist does not hear itself');
assert.deepEqual(la.events.map((m) => m.seq), la.events.map((_, i) => i), 'consecutive seq');
assert.deepEqual(la.closes, [], 'no reconnection was needed');
a.close();
b.close();

// 2. Resumption, authenticated at the upgrade as a native app does.
const r = new WebSocketClient({
    newWebSocketFn: (u) => new WS(u, {headers: {Authorization: `Bearer ${alice.getToken()}`}}),
    minWebSocketRetryTime: 1000,
    reconnectJitterRange: 100,
});
const lr = listen(r);
let missed = 0;
r.addMissedMessageListener(() => missed++);
let reconnected = 0;
r.addReconnectListener(() => reconnected++);
r.initialize(wsUrl, '');
await lr.waitFor((m) => m.event === 'hello', 'hello (header auth)');
const firstId = r.connectionId;
const before = await admin.createPost({channel_id: channel.id, message: 'before the drop'});
await lr.waitFor((m) => m.event === 'posted' && postId(m) === before.id, 'posted before the drop');

r.conn.terminate();
const away = await admin.createPost({channel_id: channel.id, message: 'while you were away'});
const resumed = await lr.waitFor((m) => m.event === 'posted' && postId(m) === away.id, 'the post made while away', 15000);
assert.equal(reconnected, 1, 'reconnected once');
assert.equal(missed, 0, 'resumed: no missed-events resync');
assert.equal(r.connectionId, firstId, 'the same connection id');
assert.equal(lr.events.filter((m) => m.event === 'hello').length, 1, 'no second hello');
assert.deepEqual(lr.events.map((m) => m.seq), lr.events.map((_, i) => i), 'consecutive seq across the drop');
assert.equal(resumed.seq, lr.events.length - 1);
r.close();
console.log('@mattermost/client WebSocketClient: hello, posted, reaction_added, typing, resume OK');
process.exit(0);
