// imap: `* OK` (or `* PREAUTH`) greeting; with starttls, `a1 STARTTLS` → `a1 OK`, then TLS (RFC 9051).
import { sayGoodbye } from './reply';
import { presetFacts, type Preset } from './types';

export const imap: Preset = {
  ...presetFacts('imap'),
  async run(dialog, { starttls }) {
    const greeting = await dialog.readLine();
    if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) {
      dialog.fail(`expected an IMAP greeting '* OK', got ${/^\* BYE/i.test(greeting) ? 'a refusal' : 'something else'}`, { received: greeting });
    }
    if (starttls) {
      await dialog.write('a1 STARTTLS\r\n');
      // Untagged lines (capabilities) may come before the tagged answer.
      for (let i = 0; ; i++) {
        const line = await dialog.readLine();
        if (/^a1 OK\b/i.test(line)) break;
        if (/^a1 /i.test(line) || i >= 20) dialog.fail('the server refused STARTTLS (enable TLS on the server, or drop starttls)', { received: line });
      }
      await dialog.startTls();
    }
    await sayGoodbye(dialog, 'a2 LOGOUT\r\n');
    return { banner: greeting };
  },
};
