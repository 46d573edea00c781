// ssh: the server speaks first with `SSH-2.0-software comments` (RFC 4253 §4.2).
import type { Preset } from './types';

export const ssh: Preset = {
  name: 'ssh',
  async run(dialog) {
    // Servers may send other lines before the identification string (RFC 4253 §4.2).
    for (let i = 0; i < 20; i++) {
      const line = await dialog.readLine();
      if (!line.startsWith('SSH-')) continue;
      const match = /^SSH-(2\.0|1\.99)-(\S+)/.exec(line);
      if (!match) return dialog.fail(`expected an SSH-2.0 identification string, got another SSH version`, { received: line });
      return { banner: line, serverVersion: match[2]! };
    }
    return dialog.fail('expected an SSH identification string (SSH-2.0-…), got none in the first 20 lines');
  },
};
