// Integrations, as Mattermost's team pages lay them out (`/{team}/integrations/...`): the
// landing page, Incoming Webhooks, Outgoing Webhooks and Slash Commands, each with its list,
// Add and Edit forms, Delete, regenerate (URL or token) and the confirmation page that shows a
// new hook's URL or token once. One table (KINDS) describes the three kinds; the list, the
// form and the confirmation are shared. Bot Accounts (bots.js) is drawn in the same frame.

import { get, post, put, del } from './api.js';
import { h, clear, alertBox, confirmDialog, nextId, formatDate, copyText } from './dom.js';
import { session } from './session.js';
import { navigate } from './router.js';
import { shell } from './shell.js';
import { ensureUsers, userName } from './posts.js';
import { renderBots } from './bots.js';

const lines = (v) => String(v || '').split('\n').map((s) => s.trim()).filter(Boolean);
const overrideUsername = () => session.config.EnablePostUsernameOverride === 'true';
const overrideIcon = () => session.config.EnablePostIconOverride === 'true';

/** The REST calls of a kind whose objects live under `base`, listed per team with `query`. */
const rest = (base, query) => ({
  list: (team) => get(`${base}?team_id=${team.id}&${query}`),
  one: (id) => get(`${base}/${id}`),
  create: (body) => post(base, body),
  update: (id, body) => put(`${base}/${id}`, body),
  remove: (id) => del(`${base}/${id}`),
});

/** Each kind: paths, REST, the switch that enables it, its form fields and its list details. */
const KINDS = {
  incoming_webhooks: {
    title: 'Incoming Webhooks',
    add: 'Add Incoming Webhook',
    noun: 'incoming webhook',
    listPath: 'incoming_webhooks',
    enabled: () => session.config.EnableIncomingWebhooks === 'true',
    disabledText: 'Incoming webhooks have been disabled by the system admin.',
    intro: 'Incoming webhooks allow external integrations to send messages to a channel.',
    ...rest('/hooks/incoming', 'page=0&per_page=200'),
    regen: { label: 'Regenerate URL', run: (id) => post(`/hooks/incoming/${id}/regen_id`), confirm: 'The old URL stops working at once; integrations using it must be given the new one.' },
    fields: [
      { key: 'display_name', label: 'Title', help: 'Specify a title, of up to 64 characters, for the webhook settings page.', max: 64 },
      { key: 'description', label: 'Description', help: 'Describe your incoming webhook.', max: 500 },
      { key: 'channel_id', label: 'Channel', type: 'channel', required: true, help: 'This is the default public or private channel that receives the webhook payloads. You must belong to the private channel when setting up the webhook.' },
      { key: 'channel_locked', label: 'Lock to this channel', type: 'checkbox', help: 'If set, the incoming webhook can post only to the selected channel.' },
      { key: 'username', label: 'Username', help: 'Specify the username this integration will post as. Usernames can be up to 22 characters, and contain lowercase letters, numbers and the symbols "-", "_", and ".". If left blank, the name specified by the webhook creator is used.', max: 64, show: overrideUsername },
      { key: 'icon_url', label: 'Profile Picture', help: 'Enter the URL of a .png or .jpg file for the profile picture of this integration when posting. The file should be at least 128 pixels by 128 pixels. If left blank, the profile picture specified by the webhook creator is used.', max: 1024, show: overrideIcon },
    ],
    details: (hook, ctx) => [
      ['URL', h('code', { class: 'hook-url' }, hookUrl(hook.id))],
      ['Channel', ctx.channelName(hook.channel_id)],
      hook.channel_locked ? ['Locked to this channel', 'Yes'] : null,
    ],
    confirm: (hook) => ({
      text: 'Your webhook has been set up. Use the following URL when sending data:',
      label: 'URL',
      value: hookUrl(hook.id),
      note: 'Treat this URL as a secret: anyone who has it can post to the channel.',
    }),
    owner: (x) => x.user_id,
  },
  outgoing_webhooks: {
    title: 'Outgoing Webhooks',
    add: 'Add Outgoing Webhook',
    noun: 'outgoing webhook',
    listPath: 'outgoing_webhooks',
    enabled: () => session.config.EnableOutgoingWebhooks === 'true',
    disabledText: 'Outgoing webhooks have been disabled by the system admin.',
    intro: 'Outgoing webhooks send a request to an external URL when a message in a public channel starts with a trigger word.',
    ...rest('/hooks/outgoing', 'page=0&per_page=200'),
    regen: { label: 'Regenerate Token', run: (id) => post(`/hooks/outgoing/${id}/regen_token`), confirm: 'The old token stops being sent at once; update the receiving service to check the new one.' },
    fields: [
      { key: 'display_name', label: 'Title', help: 'Specify a title, of up to 64 characters, for the webhook settings page.', max: 64 },
      { key: 'description', label: 'Description', help: 'Describe your outgoing webhook.', max: 500 },
      {
        key: 'content_type', label: 'Content Type', type: 'select', def: 'application/x-www-form-urlencoded',
        options: [['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'], ['application/json', 'application/json']],
        help: 'Specify the content type by which to send the request.',
      },
      { key: 'channel_id', label: 'Channel', type: 'channel', publicOnly: true, optional: true, help: 'This field is optional if you specify at least one trigger word. Specify the public channel that delivers the payload to the webhook.' },
      { key: 'trigger_words', label: 'Trigger Words (One Per Line)', type: 'lines', help: 'Specify the trigger words that send an HTTP POST request to your application. The trigger can be for the channel, the outgoing webhook, or both. If you select only Channel, trigger words are optional. If you select both, the message must match both values.' },
      {
        key: 'trigger_when', label: 'Trigger When', type: 'select', number: true, def: '0',
        options: [['0', 'First word matches a trigger word exactly'], ['1', 'First word starts with a trigger word']],
        help: 'Choose when to trigger the outgoing webhook; if the first word of a message matches a Trigger Word exactly, or if it starts with a Trigger Word.',
      },
      { key: 'callback_urls', label: 'Callback URLs (One Per Line)', type: 'lines', required: true, help: 'Specify the URL that the messages will be sent to. If the URL is private, add it as a trusted internal connection.' },
      { key: 'username', label: 'Username', help: 'Specify the username this integration will post as.', max: 64, show: overrideUsername },
      { key: 'icon_url', label: 'Profile Picture', help: 'Enter the URL of a .png or .jpg file for this integration to use as the profile picture when posting.', max: 1024, show: overrideIcon },
    ],
    details: (hook, ctx) => [
      ['Content-Type', hook.content_type || 'application/x-www-form-urlencoded'],
      hook.channel_id ? ['Channel', ctx.channelName(hook.channel_id)] : null,
      (hook.trigger_words || []).length ? ['Trigger Words', hook.trigger_words.join(', ')] : null,
      ['Trigger When', hook.trigger_when === 1 ? 'First word starts with a trigger word' : 'First word matches a trigger word exactly'],
      ['Callback URLs', (hook.callback_urls || []).join(', ')],
      ['Token', h('code', { class: 'hook-token' }, hook.token || '')],
    ],
    confirm: (hook) => ({
      text: 'Your outgoing webhook has been set up. The following token will be sent in the outgoing payload. Please use it to verify that the request came from your Mattermost team.',
      label: 'Token',
      value: hook.token,
    }),
    owner: (x) => x.creator_id,
  },
  commands: {
    title: 'Slash Commands',
    add: 'Add Slash Command',
    noun: 'slash command',
    listPath: 'commands/installed',
    enabled: () => session.config.EnableCommands === 'true',
    disabledText: 'Custom slash commands have been disabled by the system admin.',
    intro: 'Slash commands send events to an external integration when a message starts with /trigger.',
    ...rest('/commands', 'custom_only=true'),
    regen: { label: 'Regenerate Token', run: (id) => put(`/commands/${id}/regen_token`), confirm: 'The old token stops being sent at once; update the receiving service to check the new one.' },
    fields: [
      { key: 'display_name', label: 'Title', help: 'Specify a title, of up to 64 characters, for the slash command settings page.', max: 64 },
      { key: 'description', label: 'Description', help: 'Describe your slash command.', max: 128 },
      { key: 'trigger', label: 'Command Trigger Word', required: true, max: 128, help: 'Specify a trigger word that is not a built-in command, does not contain spaces, and does not begin with the slash character. Examples: client, employee, patient, weather' },
      { key: 'url', label: 'Request URL', required: true, max: 1024, help: 'Specify the callback URL to receive the HTTP POST or GET event request when the slash command is run.' },
      {
        key: 'method', label: 'Request Method', type: 'select', def: 'P',
        options: [['P', 'POST'], ['G', 'GET']],
        help: 'Specify the type of request, either POST or GET, sent to the endpoint that Mattermost hits to reach your application.',
      },
      { key: 'username', label: 'Response Username', max: 64, help: 'Specify the name to use when posting responses for this slash command. Usernames can be up to 22 characters, and contain lowercase letters, numbers and the symbols "-", "_", and ".". If left blank, your username is used.' },
      { key: 'icon_url', label: 'Response Icon', max: 1024, help: 'Enter the URL of a .png or .jpg file to use as the icon when posting responses to this slash command. The file must be at least 128 pixels by 128 pixels. If left blank, your profile picture is used.' },
      { key: 'auto_complete', label: 'Autocomplete', type: 'checkbox', help: 'Show the slash command in the autocomplete list when someone types "/" in the input box.' },
      { key: 'auto_complete_hint', label: 'Autocomplete Hint', max: 1024, help: 'Specify the arguments associated with your slash command.', showIf: 'auto_complete' },
      { key: 'auto_complete_desc', label: 'Autocomplete Description', max: 128, help: 'Describe your slash command for the autocomplete list.', showIf: 'auto_complete' },
    ],
    details: (cmd) => [
      ['Trigger', h('code', {}, '/' + cmd.trigger)],
      ['Request URL', cmd.url],
      ['Request Method', cmd.method === 'G' ? 'GET' : 'POST'],
      ['Token', h('code', { class: 'hook-token' }, cmd.token || '')],
    ],
    confirm: (cmd) => ({
      text: 'Your slash command has been set up. The following token will be sent in the outgoing payload. Please use it to verify the request came from your Mattermost team.',
      label: 'Token',
      value: cmd.token,
    }),
    owner: (x) => x.creator_id,
  },
};

function hookUrl(id) {
  return `${location.origin}/hooks/${id}`;
}

/** Just-created objects, so the confirmation page shows them without another request. */
const created = new Map();

/**
 * `/{team}/integrations[/kind[/action]]`: `kind` is incoming_webhooks, outgoing_webhooks,
 * commands or confirm; `action` add, edit (with `?id=`) or installed (the commands list).
 */
export async function renderIntegrations(root, teamName, kind, action) {
  const content = h('div', { class: 'integrations-content' });
  const nav = h('nav', { class: 'console-nav', 'aria-label': 'Integrations' });
  clear(root, shell(h('div', { class: 'console' }, nav, content), { title: 'Integrations' }));
  let teams = [];
  try {
    teams = await get('/users/me/teams');
  } catch (e) {
    const err = alertBox();
    err.showError(e);
    clear(content, err);
    return;
  }
  const team = teams.find((t) => t.name === teamName) ||
    teams.find((t) => t.name === session.lastTeamName) || teams[0] || null;
  const base = team ? `/${team.name}/integrations` : '/integrations';
  if (team && team.name !== teamName) {
    history.replaceState(null, '', base + location.pathname.replace(/^.*?\/integrations/, '') + location.search);
  }
  const current = kind === 'commands' ? 'commands' : kind;
  clear(nav, h('div', { class: 'console-section' },
    team ? h('h2', {}, team.display_name || team.name) : null,
    h('ul', {}, [
      ...(team ? Object.entries(KINDS).map(([k, spec]) => [k, `${base}/${spec.listPath}`, spec.title]) : []),
      ['bots', `${base}/bots`, 'Bot Accounts'],
    ].map(([k, href, label]) => h('li', {}, h('a', {
      href, 'data-nav': '', 'aria-current': k === current ? 'page' : null,
    }, label))))));
  if (!kind) {
    landing(content, team, base);
    return;
  }
  if (kind === 'bots') {
    await renderBots(content);
    return;
  }
  if (!team) {
    clear(content, h('h1', {}, 'Integrations'),
      h('p', { class: 'alert alert-info' }, 'Join or create a team to add webhooks and slash commands.'));
    return;
  }
  const params = new URLSearchParams(location.search);
  if (kind === 'confirm') {
    confirmPage(content, team, base, params.get('type'), params.get('id'));
    return;
  }
  const spec = KINDS[kind];
  if (!spec) {
    clear(content, h('h1', {}, 'Page not found'));
    return;
  }
  const ctx = { team, base, spec, kind };
  if (action === 'add') await formPage(content, ctx, null);
  else if (action === 'edit') await formPage(content, ctx, params.get('id'));
  else await listPage(content, ctx);
}

function landing(content, team, base) {
  clear(content,
    h('h1', {}, 'Integrations'),
    h('p', { class: 'help' }, 'Integrations connect this team to other services: they post messages, answer commands and listen for trigger words.'),
    h('ul', { class: 'integration-cards' }, [
      ...(team ? Object.values(KINDS).map((spec) => [spec.title, `${base}/${spec.listPath}`, spec.intro]) : []),
      ['Bot Accounts', `${base}/bots`, 'Use bot accounts to integrate with Mattermost through plugins or the API.'],
    ].map(([title, href, text]) => h('li', { class: 'card integration-card' },
      h('h2', {}, h('a', { href, 'data-nav': '' }, title)),
      h('p', { class: 'muted' }, text)))));
}

async function teamChannels(team) {
  const list = await get(`/users/me/teams/${team.id}/channels`);
  return list.filter((c) => c.type === 'O' || c.type === 'P')
    .sort((a, b) => (a.display_name || a.name).localeCompare(b.display_name || b.name));
}

function head(ctx, title, crumb) {
  return [
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: ctx.base, 'data-nav': '' }, 'Integrations'), ' › ',
      crumb ? [h('a', { href: `${ctx.base}/${ctx.spec.listPath}`, 'data-nav': '' }, ctx.spec.title), ' › ', crumb] : ctx.spec.title),
    title,
  ];
}

async function listPage(content, { team, base, spec, kind }) {
  const ctx = { team, base, spec, kind };
  const err = alertBox();
  const search = h('input', { type: 'search', placeholder: `Search ${spec.title}`, 'aria-label': `Search ${spec.title}` });
  const list = h('div', { class: 'integration-list' });
  const on = spec.enabled();
  const add = h('button', {
    type: 'button', class: 'btn btn-primary', disabled: !on,
    onclick: () => navigate(`${base}/${kind}/add`),
  }, spec.add);
  clear(content, ...head(ctx, h('div', { class: 'page-head' }, h('h1', {}, spec.title), add)),
    on ? null : h('div', { class: 'alert alert-info', role: 'status' }, spec.disabledText, ' ',
      session.isAdmin ? h('a', { href: '/admin_console/integrations/integration_management', 'data-nav': '' }, 'System Console > Integrations > Integration Management') : null),
    h('p', { class: 'help' }, spec.intro),
    err, search, list);
  let items = [];
  let channels = new Map();
  const channelName = (id) => {
    const c = channels.get(id);
    return c ? c.display_name || c.name : id;
  };
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = items.filter((x) => !q || [x.display_name, x.description, x.trigger, channelName(x.channel_id)]
      .some((s) => (s || '').toLowerCase().includes(q)));
    clear(list, shown.length ? shown.map((x) => item(x)) : h('p', { class: 'muted' },
      items.length ? `No ${spec.noun}s match "${search.value.trim()}".` : `No ${spec.noun}s.`));
  };
  const load = async () => {
    try {
      const [got, chans] = await Promise.all([spec.list(team), teamChannels(team).catch(() => [])]);
      items = (got || []).sort((a, b) => b.create_at - a.create_at);
      channels = new Map(chans.map((c) => [c.id, c]));
      await ensureUsers(items.map(spec.owner));
      draw();
    } catch (e) {
      err.showError(e);
    }
  };
  const item = (x) => {
    const nameId = nextId('integration');
    const title = x.display_name || (kind === 'commands' ? '/' + x.trigger : channelName(x.channel_id)) || spec.noun;
    const act = async (label, fn, confirm) => {
      if (confirm && !await confirmDialog(confirm)) return;
      err.show('');
      try {
        await fn();
        await load();
        const again = list.querySelector(`[data-id="${x.id}"]`);
        if (again) again.querySelector('h2').focus();
      } catch (e) {
        err.showError(e);
      }
    };
    return h('article', { class: 'card integration-item', 'data-id': x.id, 'aria-labelledby': nameId },
      h('h2', { id: nameId, tabindex: '-1' }, title),
      x.description ? h('p', {}, x.description) : null,
      h('dl', { class: 'integration-details' }, spec.details(x, { channelName }).filter(Boolean)
        .map(([k, v]) => h('div', {}, h('dt', {}, k + ': '), h('dd', {}, v)))),
      h('p', { class: 'muted' }, `Created by ${userName(spec.owner(x))} on ${formatDate(x.create_at)}`,
        'last_used_at' in x ? ` · ${x.last_used_at ? 'Last used ' + formatDate(x.last_used_at) : 'Never used'}` : ''),
      h('div', { class: 'form-actions' },
        h('button', {
          type: 'button', class: 'btn btn-secondary', 'aria-describedby': nameId,
          onclick: () => act(spec.regen.label, () => spec.regen.run(x.id),
            { title: `${spec.regen.label}?`, message: spec.regen.confirm, confirmLabel: spec.regen.label }),
        }, spec.regen.label),
        h('button', {
          type: 'button', class: 'btn btn-secondary', 'aria-describedby': nameId,
          onclick: () => navigate(`${base}/${kind}/edit?id=${encodeURIComponent(x.id)}`),
        }, 'Edit'),
        h('button', {
          type: 'button', class: 'btn btn-link text-danger', 'aria-describedby': nameId,
          onclick: () => act('Delete', () => spec.remove(x.id), {
            title: `Delete ${spec.noun}?`,
            message: `This action permanently deletes the ${spec.noun} "${title}" and breaks any integrations using it. Are you sure you want to delete it?`,
            confirmLabel: 'Delete',
            danger: true,
          }),
        }, 'Delete')));
  };
  search.addEventListener('input', draw);
  await load();
}

async function formPage(content, ctx, id) {
  const { team, base, spec, kind } = ctx;
  const editing = !!id;
  const err = alertBox();
  const title = editing ? 'Edit' : 'Add';
  clear(content, ...head(ctx, h('h1', {}, `${spec.title}`), title), h('p', { class: 'muted' }, 'Loading…'));
  let existing = null;
  let channels = [];
  try {
    [existing, channels] = await Promise.all([editing ? spec.one(id) : null, teamChannels(team)]);
  } catch (e) {
    clear(content, ...head(ctx, h('h1', {}, spec.title), title), err);
    err.showError(e);
    return;
  }
  const inputs = {};
  const rows = spec.fields.filter((f) => !f.show || f.show()).map((f) => {
    const inputId = nextId('f');
    const helpId = inputId + '-help';
    const value = existing ? existing[f.key] : undefined;
    let input;
    if (f.type === 'checkbox') {
      input = h('input', { type: 'checkbox', id: inputId, checked: !!value, 'aria-describedby': helpId });
    } else if (f.type === 'select') {
      input = h('select', { id: inputId, 'aria-describedby': helpId },
        f.options.map(([v, label]) => h('option', { value: v }, label)));
      input.value = value === undefined || value === null || value === '' ? f.def : String(value);
    } else if (f.type === 'channel') {
      const list = channels.filter((c) => !f.publicOnly || c.type === 'O');
      input = h('select', { id: inputId, 'aria-describedby': helpId, required: !!f.required },
        h('option', { value: '' }, '--- Select a channel ---'),
        list.map((c) => h('option', { value: c.id }, c.display_name || c.name)));
      input.value = value || '';
    } else if (f.type === 'lines') {
      input = h('textarea', { id: inputId, rows: '3', 'aria-describedby': helpId, required: !!f.required });
      input.value = (value || []).join('\n');
    } else {
      input = h('input', { type: 'text', id: inputId, maxlength: f.max ? String(f.max) : null, 'aria-describedby': helpId, required: !!f.required, autocomplete: 'off' });
      input.value = value || '';
    }
    inputs[f.key] = { f, input };
    const row = f.type === 'checkbox'
      ? h('div', { class: 'field' }, h('label', { class: 'check' }, input, f.label), h('p', { class: 'help', id: helpId }, f.help))
      : h('div', { class: 'field' }, h('label', { for: inputId }, f.label + (f.optional ? ' (optional)' : '')), input,
        h('p', { class: 'help', id: helpId }, f.help));
    return { f, row };
  });
  const sync = () => {
    for (const { f, row } of rows) if (f.showIf) row.hidden = !inputs[f.showIf].input.checked;
  };
  for (const { input } of Object.values(inputs)) input.addEventListener('change', sync);
  sync();
  const form = h('form', {
    class: 'card integration-form',
    'aria-label': `${title} ${spec.noun}`,
    onsubmit: async (e) => {
      e.preventDefault();
      err.show('');
      const body = existing ? { ...existing } : { team_id: team.id };
      for (const [key, { f, input }] of Object.entries(inputs)) {
        if (f.type === 'checkbox') body[key] = input.checked;
        else if (f.type === 'lines') body[key] = lines(input.value);
        else if (f.number) body[key] = Number(input.value);
        else body[key] = input.value.trim();
      }
      if (kind === 'commands') body.trigger = body.trigger.replace(/^\//, '');
      try {
        if (editing) {
          await spec.update(id, body);
          navigate(`${base}/${spec.listPath}`);
        } else {
          const made = await spec.create(body);
          created.set(made.id, made);
          navigate(`${base}/confirm?type=${kind}&id=${encodeURIComponent(made.id)}`);
        }
      } catch (e2) {
        err.showError(e2);
        err.scrollIntoView({ block: 'nearest' });
      }
    },
  }, err, rows.map((r) => r.row),
  h('div', { class: 'form-actions' },
    h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => navigate(`${base}/${spec.listPath}`) }, 'Cancel'),
    h('button', { type: 'submit', class: 'btn btn-primary' }, editing ? 'Update' : 'Save')));
  clear(content, ...head(ctx, h('h1', {}, spec.title), title), form);
  const first = form.querySelector('input, select, textarea');
  if (first) first.focus();
}

async function confirmPage(content, team, base, kind, id) {
  const spec = KINDS[kind];
  if (!spec || !id) {
    clear(content, h('h1', {}, 'Page not found'));
    return;
  }
  const ctx = { team, base, spec, kind };
  let made = created.get(id);
  const err = alertBox();
  if (!made) {
    try {
      made = await spec.one(id);
    } catch (e) {
      clear(content, ...head(ctx, h('h1', {}, spec.title), 'Setup Successful'), err);
      err.showError(e);
      return;
    }
  }
  created.delete(id);
  const c = spec.confirm(made);
  const out = h('input', { type: 'text', readonly: true, value: c.value || '', 'aria-label': c.label, class: 'secret' });
  const copied = h('span', { role: 'status', class: 'muted' });
  clear(content, ...head(ctx, h('h1', {}, 'Setup Successful'), 'Setup Successful'),
    h('div', { class: 'card integration-confirm' },
      h('p', {}, c.text),
      h('div', { class: 'secret-row' }, h('label', { class: 'strong' }, c.label + ': ', out),
        h('button', {
          type: 'button', class: 'btn btn-secondary',
          onclick: async () => {
            copied.textContent = await copyText(out.value, out) ? 'Copied' : 'Select the text and copy it.';
          },
        }, 'Copy'), copied),
      c.note ? h('p', { class: 'help' }, c.note) : null,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => navigate(`${base}/${spec.listPath}`) }, 'Done'))));
  out.focus();
  out.select();
}
