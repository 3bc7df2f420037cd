// First run and sign-in: the login page, the sign-up page (the first account becomes the
// System Admin), both plain forms that post to API v4.

import { get, post } from './api.js';
import { h, clear, field, alertBox } from './dom.js';
import { refreshSession } from './session.js';
import { navigate } from './router.js';

/** The submit handler both forms share: clears the alert, disables `submit` while `run` works,
 * and shows what it throws (then runs `onError`, if any). */
function submitting(err, submit, run, onError) {
  return async (e) => {
    e.preventDefault();
    err.show('');
    submit.disabled = true;
    try {
      await run();
    } catch (e2) {
      err.showError(e2);
      if (onError) onError();
    } finally {
      submit.disabled = false;
    }
  };
}

async function limitedConfig() {
  try {
    return await get('/config/client?format=old', { quiet401: true });
  } catch {
    return {};
  }
}

function safeRedirect() {
  const to = new URLSearchParams(location.search).get('redirect_to') || '/';
  // Only same-site paths: never follow a redirect to another origin.
  return to.startsWith('/') && !to.startsWith('//') ? to : '/';
}

export async function renderLogin(root, notice) {
  const cfg = await limitedConfig();
  const siteName = cfg.SiteName || 'Rustmost';
  document.title = 'Log in - ' + siteName;
  const err = alertBox();
  const byEmail = cfg.EnableSignInWithEmail !== 'false';
  const byName = cfg.EnableSignInWithUsername !== 'false';
  const idLabel = byEmail && byName ? 'Email or Username' : byEmail ? 'Email' : 'Username';
  const loginId = field(idLabel, { name: 'login_id', autocomplete: 'username', required: true });
  const password = field('Password', {
    name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Log in');
  const form = h('form', {
    class: 'card',
    'aria-label': 'Log in',
    onsubmit: submitting(err, submit, async () => {
      await post('/users/login', {
        login_id: loginId.input.value.trim(),
        password: password.input.value,
      }, { quiet401: true });
      await refreshSession();
      navigate(safeRedirect(), true);
    }, () => {
      password.input.value = '';
      password.input.focus();
    }),
  }, err, loginId.wrap, password.wrap, submit);
  const signupAllowed = cfg.EnableSignUpWithEmail !== 'false';
  clear(root, h('main', { class: 'center-page' },
    h('h1', { class: 'site-name' }, siteName),
    h('p', { class: 'tagline' }, cfg.CustomDescriptionText || 'All team communication in one place, searchable and accessible anywhere'),
    notice ? h('div', { class: 'alert alert-info', role: 'status' }, notice) : null,
    form,
    signupAllowed
      ? h('p', { class: 'below-card' }, "Don't have an account? ",
        h('a', { href: '/signup_user_complete', 'data-nav': '' }, 'Create one now.'))
      : null));
  loginId.input.focus();
}

export async function renderSignup(root) {
  const cfg = await limitedConfig();
  const siteName = cfg.SiteName || 'Rustmost';
  document.title = 'Create Account - ' + siteName;
  const err = alertBox();
  const min = cfg.PasswordMinimumLength || '8';
  const email = field('What\'s your email address?', {
    name: 'email', type: 'email', autocomplete: 'email', required: true,
  }, 'Valid email required for sign-up');
  const username = field('Choose your username', {
    name: 'username', autocomplete: 'username', required: true, maxlength: '22',
  }, 'You can use lowercase letters, numbers, periods, dashes, and underscores.');
  const password = field('Choose your password', {
    name: 'password', type: 'password', autocomplete: 'new-password', required: true,
  }, `Your password must contain at least ${min} characters.`);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Create Account');
  const form = h('form', {
    class: 'card',
    'aria-label': 'Create Account',
    onsubmit: submitting(err, submit, async () => {
      await post('/users', {
        email: email.input.value.trim(),
        username: username.input.value.trim().toLowerCase(),
        password: password.input.value,
      });
      await post('/users/login', {
        login_id: username.input.value.trim().toLowerCase(),
        password: password.input.value,
      }, { quiet401: true });
      await refreshSession();
      navigate('/', true);
    }),
  }, err, email.wrap, username.wrap, password.wrap, submit);
  clear(root, h('main', { class: 'center-page' },
    h('h1', { class: 'site-name' }, siteName),
    h('p', { class: 'tagline' }, 'Let\'s create your account'),
    h('p', { class: 'hint' }, 'The first account created on a new server becomes its System Admin.'),
    form,
    h('p', { class: 'below-card' }, 'Already have an account? ',
      h('a', { href: '/login', 'data-nav': '' }, 'Click here to sign in.'))));
  email.input.focus();
}
