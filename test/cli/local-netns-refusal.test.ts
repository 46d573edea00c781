// `portquorum local --netns` with targets the namespaces cannot reach (this machine's own loopback services, any other
// host) refuses at start, naming them, instead of paging them DOWN "refused in 3/3 regions" while they are healthy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsSupport } from '../../bin/local/netns';
import { runCli } from '../support/cli';
import { listener } from '../support/ports';

const dir = mkdtempSync(join(tmpdir(), `pq-cli-netns-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('portquorum local --netns with a user config', () => {
  it('refuses at start when a target is not served in the namespaces (exit 2), starting nothing', async () => {
    const healthy = await listener('127.0.0.1'); // a healthy service on this machine's loopback, like the Redis
    try {
      const config = join(dir, 'fleet.json');
      writeFileSync(config, JSON.stringify({
        regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'],
        monitors: [
          { id: 'redis', host: '127.0.0.1', port: healthy.port },
          { id: 'served', host: '127.0.0.1', port: 1 },
        ],
        localTargets: [{ name: 'served', kind: 'tcp', port: 1 }],
      }));
      const r = await runCli(['local', '--config', config, '--netns', '--state', join(dir, 'state.json')]);
      const support = netnsSupport();
      expect(r.stderr).toContain(support.supported
        ? `portquorum local: --netns: monitor 'redis' (127.0.0.1:${healthy.port}) cannot be reached from the regions' network namespaces, which have only their own loopback (not this machine's), so every region would report it down. Run without --netns to probe it from this machine, or declare loopback services the fleet serves in every namespace as "localTargets"`
        : `portquorum local: --netns: ${support.reason}`);
      expect(r.stderr).not.toContain("'served'");
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
    } finally {
      await healthy.close();
    }
  });
});
