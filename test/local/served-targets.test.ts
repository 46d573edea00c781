// How the fleet switches a target it serves: on the shared loopback a real listener goes down and comes back; in
// namespaces a blackhole is a packet drop that goes in before the listeners change and comes out after.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serveInNamespaces, serveOnLoopback, type NamespacedServing } from '../../bin/local/served-targets';
import { freePorts, type LocalTarget, type TargetState } from '../../bin/local/targets';
import { connectOutcome } from './support';

/** Records, in order, what the namespaced fleet was asked to do. */
class RecordingRegions implements NamespacedServing {
  readonly steps: string[] = [];
  async setTarget(name: string, state: TargetState): Promise<void> {
    this.steps.push(`serve ${name} ${state}`);
  }
  async dropTarget(target: LocalTarget, on: boolean): Promise<void> {
    this.steps.push(`${on ? 'drop' : 'undrop'} ${target.name}:${target.port}`);
  }
}

describe('served targets', () => {
  it('on loopback: serves every target, switches one by name, and refuses a name it does not serve', async () => {
    const [web, cache] = (await freePorts(2)) as [number, number];
    const served = await serveOnLoopback([{ name: 'web', kind: 'http', port: web }, { name: 'cache', kind: 'tcp', port: cache }]);
    try {
      expect([await connectOutcome(web), await connectOutcome(cache)]).toEqual(['open', 'open']);
      await served.set('web', 'down');
      expect([await connectOutcome(web), await connectOutcome(cache)]).toEqual(['refused', 'open']);
      await served.set('web', 'up');
      expect(await connectOutcome(web)).toBe('open');
      await expect(served.set('db', 'down')).rejects.toThrow("no local target named 'db' (targets: web, cache)");
    } finally {
      await served.stop(Date.now() + 5000);
    }
    expect([await connectOutcome(web), await connectOutcome(cache)]).toEqual(['refused', 'refused']);
  });

  it('on loopback: when one target cannot listen, the ones already listening are stopped again before it fails', async () => {
    const [web, taken] = (await freePorts(2)) as [number, number];
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: taken, exclusive: true }, resolve));
    try {
      await expect(serveOnLoopback([{ name: 'web', kind: 'tcp', port: web }, { name: 'canary', kind: 'tcp', port: taken }]))
        .rejects.toThrow(`local target 'canary' cannot listen on 127.0.0.1:${taken}: EADDRINUSE (pick another port)`);
      // Left listening, 'web' would keep `portquorum local` alive after it gave up starting.
      expect(await connectOutcome(web)).toBe('refused');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('on loopback with nothing to serve: a switch says the fleet serves none', async () => {
    const served = await serveOnLoopback([]);
    await expect(served.set('web', 'down')).rejects.toThrow("no local target named 'web' (this fleet serves none)");
  });

  it('in namespaces: a blackhole drops packets before the listeners change, and the drop is lifted after', async () => {
    const regions = new RecordingRegions();
    const served = serveInNamespaces([{ name: 'web', kind: 'http', port: 8080 }], regions);
    await served.set('web', 'blackhole');
    await served.set('web', 'blackhole');
    await served.set('web', 'down');
    await served.set('web', 'up');
    expect(regions.steps).toEqual([
      'drop web:8080', 'serve web up', // blackholed: running, its packets dropped
      'serve web up', // blackholed again: the drop is already there
      'serve web down', 'undrop web:8080', // down: the listener closes first, then the drop goes
      'serve web up',
    ]);
    await expect(served.set('db', 'down')).rejects.toThrow("no local target named 'db' (targets: web)");
  });
});
