// Who a post shows as: the name, the icon and whether it carries the BOT tag. Pure (no DOM), so
// the rules are unit-tested. As in Mattermost's webapp, `override_username` and
// `override_icon_url` are shown only on posts the server marked `from_webhook`, and only while
// the server's client config allows overrides; everywhere else the real author is shown.

import { safeImageUrl } from './markdown.js';

/**
 * `post` is the API post, `user` the author's user object (or undefined while unknown),
 * `config` the client config (`/config/client?format=old`, string values).
 * Returns `{ name, iconUrl, bot, overridden }`.
 */
export function postAuthor(post, user, config) {
  const props = (post && post.props) || {};
  const cfg = config || {};
  const fromWebhook = props.from_webhook === 'true';
  const system = typeof post.type === 'string' && post.type.startsWith('system_');
  const realName = user ? user.username : String(post.user_id || '').slice(0, 8);
  let name = realName;
  let iconUrl = null;
  let overridden = false;
  if (fromWebhook && !system) {
    const over = typeof props.override_username === 'string' ? props.override_username.trim() : '';
    if (over && cfg.EnablePostUsernameOverride === 'true') {
      name = over;
      overridden = true;
    }
    if (cfg.EnablePostIconOverride === 'true') iconUrl = safeImageUrl(props.override_icon_url);
  }
  // `from_webhook` is set by the server only (clients' copies are dropped on create), while a
  // `from_bot` prop alone proves nothing the user record does not say better.
  const bot = !system && (!!(user && user.is_bot) || fromWebhook);
  return { name, iconUrl, bot, overridden };
}
