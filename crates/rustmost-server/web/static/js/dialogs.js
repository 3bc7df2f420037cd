// The chat's dialogs: Create a team, Create a channel and the Add Reaction emoji picker.

import { post } from './api.js';
import { h, alertBox, modal, field } from './dom.js';
import { navigate } from './router.js';
import { emojiChar, QUICK } from './emoji.js';

function slug(s) {
  return s.toLowerCase().trim().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
}

export function createTeamDialog() {
  const err = alertBox();
  const name = field('Team Name', { required: true, maxlength: '64' });
  const m = modal({
    title: 'Create a team',
    body: h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const display = name.input.value.trim();
        if (!display) return err.show('Please enter a team name.');
        try {
          const t = await post('/teams', { name: slug(display) || 'team', display_name: display, type: 'O' });
          m.close();
          navigate(`/${t.name}`);
        } catch (e2) {
          err.showError(e2);
        }
        return undefined;
      },
    }, err, name.wrap, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create'))),
  });
}

export function createChannelDialog(team) {
  const err = alertBox();
  const name = field('Channel Name', { required: true, maxlength: '64' });
  const priv = h('input', { type: 'checkbox' });
  const m = modal({
    title: 'Create a channel',
    body: h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const display = name.input.value.trim();
        if (!display) return err.show('Please enter a channel name.');
        try {
          const c = await post('/channels', {
            team_id: team.id, name: slug(display) || 'channel', display_name: display, type: priv.checked ? 'P' : 'O',
          });
          m.close();
          navigate(`/${team.name}/channels/${c.name}`);
        } catch (e2) {
          err.showError(e2);
        }
        return undefined;
      },
    }, err, name.wrap, h('label', { class: 'check' }, priv, 'Make private'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create'))),
  });
}

/** The Add Reaction picker; `onPick(name)` runs after the dialog closes. */
export function reactionPicker(onPick) {
  const m = modal({
    title: 'Add Reaction',
    body: h('div', { class: 'emoji-picker' }, QUICK.map((name) => h('button', {
      type: 'button', class: 'emoji-choice', 'aria-label': name, title: `:${name}:`,
      onclick: async () => {
        m.close();
        await onPick(name);
      },
    }, emojiChar(name)))),
  });
}
