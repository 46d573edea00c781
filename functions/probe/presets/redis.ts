// redis: PING → +PONG; an authentication or protected-mode error still proves Redis answers.
import { presetFacts, type Preset } from './types';

/** Errors only Redis gives to an unauthenticated PING. */
const AUTH_REQUIRED = /^-(NOAUTH|WRONGPASS|DENIED|NOPERM)\b|^-ERR\b.*\bauth/i;

export const redis: Preset = {
  ...presetFacts('redis'),
  async run(dialog) {
    await dialog.write('PING\r\n');
    const line = await dialog.readLine();
    if (line === '+PONG' || AUTH_REQUIRED.test(line)) return { banner: line };
    return dialog.fail(`expected +PONG to PING`, { received: line });
  },
};
