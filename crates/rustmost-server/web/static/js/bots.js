// Integrations > Bot Accounts: create a bot (with optional roles), create, disable and delete
// its tokens, disable and enable the bot. integrations.js draws it beside the Integrations nav.

import { get, post, put } from './api.js';
import { h, clear, alertBox, field, nextId } from './dom.js';
import { session } from './session.js';
import { tokenManager } from './tokens.js';

/** Draws the page into `content` (the Integrations page's main area). */
export async function renderBots(content) {
  const err = alertBox();
  const formSlot = h('div');
  const active = h('div', { class: 'bot-list' });
  const disabled = h('div', { class: 'bot-list' });
  const creationOn = session.config.EnableBotAccountCreation === 'true';
  const canCreate = session.can('create_bot');
  const addBtn = h('button', {
    type: 'button', class: 'btn btn-primary', disabled: !creationOn || !canCreate, onclick: showForm,
  }, 'Add Bot Account');
  clear(content,
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, 'Integrations ', h('span', { 'aria-hidden': 'true' }, '›'), ' Bot Accounts'),
    h('div', { class: 'page-head' }, h('h1', {}, 'Bot Accounts'), addBtn),
    creationOn ? null : h('div', { class: 'alert alert-info', role: 'status' },
      'Bot account creation is disabled on this server. ',
      session.isAdmin
        ? h('a', { href: '/admin_console/integrations/bot_accounts', 'data-nav': '' }, 'Enable it in System Console > Integrations > Bot Accounts.')
        : 'Ask a System Admin to enable it.'),
    h('p', { class: 'help' }, 'Use bot accounts to integrate with Mattermost through plugins or the API. Bot accounts authenticate with personal access tokens.'),
    err, formSlot,
    h('h2', {}, 'Enabled Bot Accounts'), active,
    h('h2', {}, 'Disabled'), disabled);

  async function load() {
    try {
      const bots = await get('/bots?include_deleted=true&page=0&per_page=200');
      const on = bots.filter((b) => !b.delete_at);
      const off = bots.filter((b) => b.delete_at);
      clear(active, on.length ? on.map(botCard) : h('p', { class: 'muted' }, 'No bot accounts.'));
      clear(disabled, off.length ? off.map(botCard) : h('p', { class: 'muted' }, 'No disabled bot accounts.'));
    } catch (e) {
      err.showError(e);
    }
  }

  function botCard(b) {
    const nameId = nextId('bot');
    const tokensSlot = h('div', { class: 'bot-tokens' });
    let manager = null;
    const showTokens = (shown) => {
      toggleTokens.setAttribute('aria-expanded', String(shown));
      toggleTokens.textContent = shown ? 'Hide Tokens' : 'Manage Tokens';
      manager = shown ? tokenManager({
        userId: b.user_id, isBot: true, maxDays: session.config.MaximumPersonalAccessTokenLifetimeDays,
      }) : null;
      clear(tokensSlot, manager);
    };
    const toggleTokens = h('button', {
      type: 'button',
      class: 'btn btn-secondary',
      'aria-expanded': 'false',
      'aria-describedby': nameId,
      onclick: () => showTokens(!manager),
    }, 'Manage Tokens');
    // Mattermost's bot row action: opens the bot's tokens with the new-token form.
    const createToken = h('button', {
      type: 'button',
      class: 'btn btn-secondary',
      'aria-describedby': nameId,
      onclick: () => {
        if (!manager) showTokens(true);
        manager.create();
      },
    }, 'Create New Token');
    return h('article', { class: 'bot-card', 'data-bot': b.username, 'aria-labelledby': nameId },
      h('div', { class: 'bot-head' },
        h('div', {},
          h('h3', { id: nameId }, (b.display_name || b.username) + ' (@' + b.username + ')'),
          b.description ? h('p', {}, b.description) : null,
          h('p', { class: 'muted' }, b.delete_at ? 'Disabled' : 'Enabled')),
        h('div', { class: 'bot-actions' },
          b.delete_at ? null : createToken,
          b.delete_at ? null : toggleTokens,
          h('button', {
            type: 'button',
            class: 'btn btn-secondary',
            'aria-describedby': nameId,
            onclick: async () => {
              err.show('');
              try {
                await post(`/bots/${b.user_id}/${b.delete_at ? 'enable' : 'disable'}`);
                await load();
              } catch (e) {
                err.showError(e);
              }
            },
          }, b.delete_at ? 'Enable' : 'Disable'))),
      tokensSlot);
  }

  function showForm() {
    const formErr = alertBox();
    const username = field('Username', { required: true, maxlength: '22', autocomplete: 'off' },
      'You can use lowercase letters, numbers, periods, dashes, and underscores.');
    const displayName = field('Display Name', { maxlength: '64', autocomplete: 'off' });
    const description = field('Description', { maxlength: '1024', autocomplete: 'off' });
    const role = field('Role', {
      tag: 'select',
      options: [h('option', { value: 'member' }, 'Member'), h('option', { value: 'system_admin' }, 'System Admin')],
    });
    const postAll = h('input', { type: 'checkbox' });
    const postPublic = h('input', { type: 'checkbox' });
    const form = h('form', {
      class: 'card bot-form',
      'aria-label': 'Add Bot Account',
      onsubmit: async (e) => {
        e.preventDefault();
        formErr.show('');
        try {
          const bot = await post('/bots', {
            username: username.input.value.trim().toLowerCase(),
            display_name: displayName.input.value.trim(),
            description: description.input.value.trim(),
          });
          let roles = 'system_user';
          if (role.input.value === 'system_admin') roles += ' system_admin';
          else if (postAll.checked) roles += ' system_post_all';
          else if (postPublic.checked) roles += ' system_post_all_public';
          if (roles !== 'system_user') await put(`/users/${bot.user_id}/roles`, { roles });
          clear(formSlot, h('div', { class: 'alert alert-info', role: 'status' },
            `Bot @${bot.username} created. Use Create New Token below to create its access token.`));
          await load();
        } catch (e2) {
          formErr.showError(e2);
        }
      },
    },
    h('h2', {}, 'Add Bot Account'),
    formErr, username.wrap, displayName.wrap, description.wrap, role.wrap,
    h('label', { class: 'check' }, postAll, h('strong', {}, 'post:all'), ' Bot will have access to post to all Mattermost channels including direct messages.'),
    h('label', { class: 'check' }, postPublic, h('strong', {}, 'post:channels'), ' Bot will have access to post to all Mattermost public channels.'),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create Bot Account'),
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => clear(formSlot) }, 'Cancel')));
    clear(formSlot, form);
    username.input.focus();
  }

  await load();
}
