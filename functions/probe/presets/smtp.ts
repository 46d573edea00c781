// smtp: 220 greeting, EHLO → 250; with starttls, STARTTLS → 220, TLS, then EHLO again over TLS.
import { readNumericReply, requireCode, sayGoodbye } from './reply';
import { presetFacts, type Preset } from './types';

const EHLO = 'EHLO portquorum.invalid\r\n';

export const smtp: Preset = {
  ...presetFacts('smtp'),
  async run(dialog, { starttls }) {
    const greeting = await readNumericReply(dialog, 'SMTP greeting');
    requireCode(dialog, greeting, 220, 'SMTP greeting');
    await dialog.write(EHLO);
    const ehlo = await readNumericReply(dialog, 'EHLO reply');
    requireCode(dialog, ehlo, 250, 'reply to EHLO');
    if (starttls) {
      if (!ehlo.lines.some((l) => /^250[ -]STARTTLS\b/i.test(l))) {
        dialog.fail('the server does not offer STARTTLS in its EHLO reply (enable TLS on the server, or drop starttls)', { received: ehlo.text });
      }
      await dialog.write('STARTTLS\r\n');
      requireCode(dialog, await readNumericReply(dialog, 'STARTTLS reply'), 220, 'reply to STARTTLS');
      await dialog.startTls();
      await dialog.write(EHLO);
      requireCode(dialog, await readNumericReply(dialog, 'EHLO reply over TLS'), 250, 'reply to EHLO over TLS');
    }
    await sayGoodbye(dialog, 'QUIT\r\n');
    return { banner: greeting.lines[0]! };
  },
};
