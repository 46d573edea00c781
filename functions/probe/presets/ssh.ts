// ssh: the server speaks first with `SSH-2.0-software comments` (RFC 4253 §4.2).
import { presetFacts, type Preset } from './types';

/** SMTP/FTP numeric replies, IMAP and POP3 greetings, HTTP, Redis/memcached style answers. */
const OTHER_GREETING = /^(\d{3}[ -]|\* (OK|PREAUTH|BYE)|\+OK|-ERR|HTTP\/)/;

export const ssh: Preset = {
  ...presetFacts('ssh'),
  async run(dialog) {
    // Servers may send other lines before the identification string (RFC 4253 §4.2).
    for (let i = 0; i < 20; i++) {
      const line = await dialog.readLine();
      if (!line.startsWith('SSH-')) {
        // Another protocol's greeting will not be followed by an SSH banner: say so now, not at the deadline.
        if (OTHER_GREETING.test(line)) return dialog.fail('expected an SSH identification string (SSH-2.0-…), got another protocol\'s greeting', { received: line });
        continue;
      }
      const match = /^SSH-(2\.0|1\.99)-(\S+)/.exec(line);
      if (!match) return dialog.fail(`expected an SSH-2.0 identification string, got another SSH version`, { received: line });
      return { banner: line, serverVersion: match[2]! };
    }
    return dialog.fail('expected an SSH identification string (SSH-2.0-…), got none in the first 20 lines');
  },
};
