// memcached: `version` → `VERSION x.y.z`.
import { presetFacts, type Preset } from './types';

export const memcached: Preset = {
  ...presetFacts('memcached'),
  async run(dialog) {
    await dialog.write('version\r\n');
    const line = await dialog.readLine();
    const match = /^VERSION (\S+)/.exec(line);
    if (!match) return dialog.fail(`expected 'VERSION …' to 'version'`, { received: line });
    return { banner: line, serverVersion: match[1]! };
  },
};
