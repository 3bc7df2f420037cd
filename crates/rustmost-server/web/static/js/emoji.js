// The emoji names Mattermost clients most often react with, mapped to characters. Unknown names
// are shown as :name:, which is how Mattermost shows an emoji it cannot draw.

export const EMOJI = {
  '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', smile: '😄', smiley: '😃',
  grinning: '😀', laughing: '😆', joy: '😂', wink: '😉', slightly_smiling_face: '🙂',
  heart: '❤️', heart_eyes: '😍', tada: '🎉', rocket: '🚀', eyes: '👀', fire: '🔥',
  white_check_mark: '✅', heavy_check_mark: '✔️', check: '✔️', x: '❌', warning: '⚠️',
  ok_hand: '👌', clap: '👏', pray: '🙏', thinking_face: '🤔', thinking: '🤔', cry: '😢',
  sob: '😭', rage: '😡', muscle: '💪', wave: '👋', star: '⭐', sparkles: '✨', zap: '⚡',
  bug: '🐛', robot: '🤖', robot_face: '🤖', raised_hands: '🙌', hourglass: '⌛', bell: '🔔',
  memo: '📝', link: '🔗', lock: '🔒', key: '🔑', gear: '⚙️', bulb: '💡', question: '❓',
  exclamation: '❗', '100': '💯', sunglasses: '😎', confused: '😕', slightly_frowning_face: '🙁',
};

/** The choices offered by the Add Reaction picker. */
export const QUICK = ['+1', 'heart', 'tada', 'smile', 'eyes', 'white_check_mark', 'rocket', '-1'];

export function emojiChar(name) {
  return EMOJI[name] || `:${name}:`;
}
