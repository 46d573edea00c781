// Regions that disagree, end to end on real sockets: a loopback TLS server shows one region another certificate.
// Round items carry a region's view only when it changed; the aggregator pages DIVERGED once with each region's view,
// and CONVERGED once all see the same certificate again.
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../functions/probe/handler';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { testCert } from '../support/certs';
import { REGIONS, usePipelines } from '../support/pipeline';

const pipeline = usePipelines();
const context = { getRemainingTimeInMillis: () => 70_000 };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const current = testCert('valid');
const stale = testCert('selfSigned');
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer({ cert: current.certPem, key: current.keyPem }, (socket) => socket.on('error', () => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Serves `which` certificate from now on (new handshakes only). */
function serve(which: typeof current): void {
  server.setSecureContext({ cert: which.certPem, key: which.keyPem });
}

describe('views on real sockets', () => {
  it('writes a view only when it changed, pages DIVERGED once with each region side by side, then CONVERGED', async () => {
    const p = await pipeline({ monitors: [{ id: 'www', host: '127.0.0.1', port, tls: { verify: false, servername: 'www.portquorum.invalid' }, retries: 0 }] });
    // One warm probe function per region, kept across minutes (as Lambda keeps a warm container).
    const clocks = new Map(REGIONS.map((r) => [r, 0]));
    const handlers = new Map(REGIONS.map((region) => [region, createProbeHandler({
      fleet: p.fleet, region, store: p.table.store, metrics: memoryMetrics(), log: quiet,
      now: () => clocks.get(region)!, sleep: async (ms) => void clocks.set(region, clocks.get(region)! + ms),
    })]));
    const minute = async (index: number, staleIn: string | undefined) => {
      const at = p.clock.base + index * 60_000;
      await p.whileWriting(async () => {
        for (const region of REGIONS) {
          serve(region === staleIn ? stale : current);
          clocks.set(region, at + 800);
          await handlers.get(region)!({ time: new Date(at).toISOString() }, context);
        }
        serve(current);
        p.clock.now = at + 5_000;
      });
      await p.drain();
    };
    for (let i = 0; i < 4; i += 1) await minute(i, 'eu-west-1');

    // The first round carries every region's view; the ones after carry none (nothing changed).
    const first = await p.table.store.readRound(p.clock.base, [{ region: 'eu-west-1' }, { region: 'us-east-1' }]);
    expect(first.records.map((r) => (r.results.www as { view?: string }).view?.slice(0, 5))).toEqual(['cert ', 'cert ']);
    const later = await p.table.store.readRound(p.clock.base + 2 * 60_000, [{ region: 'eu-west-1' }, { region: 'us-east-1' }]);
    expect(later.records.map((r) => (r.results.www as { view?: string }).view)).toEqual([undefined, undefined]);

    expect(p.alerts().map((a) => a.kind)).toEqual(['DIVERGED']);
    const views = p.alerts()[0]!.divergence!.views;
    expect(views.map((v) => v.region)).toEqual(REGIONS);
    expect(views[0]!.view).toBe(views[2]!.view);
    expect(views[1]!.view).not.toBe(views[0]!.view);
    expect(views[0]!.view).toMatch(/^cert [0-9a-f]{16} .+ until \d{4}-\d\d-\d\d$/);

    // eu-west-1 is served the current certificate again: its next round carries its new view, and they agree.
    await minute(4, undefined);
    await minute(5, undefined);
    expect(p.alerts().map((a) => a.kind)).toEqual(['DIVERGED', 'CONVERGED']);
    expect(new Set(p.alerts()[1]!.divergence!.views.map((v) => v.view)).size).toBe(1);
    expect(p.failures).toEqual([]);
  });
});
