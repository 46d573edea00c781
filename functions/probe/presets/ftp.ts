// ftp: 220 greeting; with starttls, AUTH TLS → 234, then TLS (RFC 4217).
import { readNumericReply, requireCode, sayGoodbye } from './reply';
import { presetFacts, type Preset } from './types';

export const ftp: Preset = {
  ...presetFacts('ftp'),
  async run(dialog, { starttls }) {
    const greeting = await readNumericReply(dialog, 'FTP greeting');
    requireCode(dialog, greeting, 220, 'FTP greeting');
    if (starttls) {
      await dialog.write('AUTH TLS\r\n');
      const answer = await readNumericReply(dialog, 'AUTH TLS reply');
      if (answer.code !== 234) dialog.fail(`expected 234 to AUTH TLS, got ${answer.code} (enable TLS on the server, or drop starttls)`, { received: answer.text });
      await dialog.startTls();
    }
    await sayGoodbye(dialog, 'QUIT\r\n');
    return { banner: greeting.lines[0]! };
  },
};
