// pop3: `+OK` greeting; with starttls, STLS → `+OK`, then TLS (RFC 2595).
import { sayGoodbye } from './reply';
import { presetFacts, type Preset } from './types';

export const pop3: Preset = {
  ...presetFacts('pop3'),
  async run(dialog, { starttls }) {
    const greeting = await dialog.readLine();
    if (!greeting.startsWith('+OK')) dialog.fail(`expected a POP3 greeting '+OK'`, { received: greeting });
    if (starttls) {
      await dialog.write('STLS\r\n');
      const answer = await dialog.readLine();
      if (!answer.startsWith('+OK')) dialog.fail('the server refused STLS (enable TLS on the server, or drop starttls)', { received: answer });
      await dialog.startTls();
    }
    await sayGoodbye(dialog, 'QUIT\r\n');
    return { banner: greeting };
  },
};
