// The reachability matrix from the probe's side: the real probe handlers of the public probes and of two probe groups
// probing real loopback sockets, their round items read back through the stream by the aggregator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorSpec } from '../../functions/shared/domain';
import { memoryMetrics } from '../../functions/shared/adapters/observability';
import { createProbeHandler } from '../../functions/probe/handler';
import { closedPort, listener } from '../support/ports';
import { REGIONS, usePipelines, type Pipeline } from '../support/pipeline';

const pipeline = usePipelines();
let open: Awaited<ReturnType<typeof listener>>;
let closed: number;
beforeAll(async () => {
  open = await listener();
  closed = await closedPort();
});
afterAll(async () => {
  await open.close();
});

const context = { getRemainingTimeInMillis: () => 70_000 };
const GROUPS = { vpc: { regions: ['us-east-1', 'eu-west-1'] }, office: { regions: ['eu-west-1'] } };

/** A probe handler for one region (and group) whose clock starts at `at` and jumps forward when it waits for a round. */
function probeFor(pipe: Pipeline, region: string, group: string | undefined, at: number) {
  let now = at;
  const quiet = () => {};
  const handler = createProbeHandler({
    fleet: pipe.fleet, region, ...(group ? { group } : {}), store: pipe.table.store, metrics: memoryMetrics(),
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return (minute: number) => handler({ time: new Date(minute).toISOString() }, context);
}

describe('reach on real sockets', () => {
  it('each group probes the monitors its reach names, as their expectation needs, and the vantage that breaks it pages', async () => {
    const monitors: MonitorSpec[] = [
      // Must be open from inside the VPC and closed from the internet: the port is closed everywhere.
      { id: 'ledger-db', host: '127.0.0.1', port: closed, timeoutMs: 3000, retries: 0, reach: { vpc: 'open', public: 'closed' } },
      // An admin port that must be closed from the office network: it is open everywhere.
      { id: 'admin', host: '127.0.0.1', port: open.port, timeoutMs: 3000, retries: 0, reach: { office: 'closed' } },
    ];
    const p = await pipeline({ groups: GROUPS, monitors });
    const probes = [
      ...REGIONS.map((region) => [region, undefined] as const),
      ...GROUPS.vpc.regions.map((region) => [region, 'vpc'] as const),
      ...GROUPS.office.regions.map((region) => [region, 'office'] as const),
    ];
    for (const minute of [p.clock.base, p.clock.base + 60_000]) {
      const summaries = await p.whileWriting(async () => {
        const all = await Promise.all(probes.map(([region, group]) => probeFor(p, region, group, minute + 800)(minute)));
        p.clock.now = minute + 5_000;
        return all;
      });
      // Public: both monitors; vpc: ledger-db (refused: down); office: admin (connected: down, it must be closed).
      expect(summaries.map((s) => `${s.region}${s.group ? `/${s.group}` : ''} ${s.rounds.map((r) => `${r.monitors}/${r.down}`).join()}`)).toEqual([
        'us-east-1 2/0', 'eu-west-1 2/0', 'ap-south-1 2/0', 'us-east-1/vpc 1/1', 'eu-west-1/vpc 1/1', 'eu-west-1/office 1/1',
      ]);
    }
    await p.drain();
    expect(p.publishes().map((c) => c.Subject).sort()).toEqual([
      `REACH_BROKEN admin 127.0.0.1:${open.port} — open from office (eu-west-1 connected; expected closed)`,
      `REACH_BROKEN ledger-db 127.0.0.1:${closed} — closed from vpc (refused in 2/2 regions; expected open)`,
    ].sort());
    const admin = p.alerts().find((a) => a.monitor!.id === 'admin')!;
    expect(admin.reach!.regions[0]!.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${open.port} accepted a connection`));
    // The public side judged as declared: the admin port open (UP), the ledger database closed (no exposure).
    expect((await p.table.store.readMonitorState('admin'))!.state.verdict).toBe('UP');
    expect((await p.table.store.readMonitorState('ledger-db'))!.state.exposedSince).toBeUndefined();
  });
});
