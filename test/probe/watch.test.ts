// The probe's Watcher on real loopback sockets: it holds one connection per watched monitor that was up, never more
// than its cap (the file-descriptor budget), writes a watch event when the re-probe fails, and none when it closes.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Watcher } from '../../functions/probe/watch';
import { probeRound } from '../../functions/probe/engine';
import { resolveMonitor, type ProbeOutcome, type ResolvedMonitor, type WatchEvent } from '../../functions/shared/domain';
import { silentLog } from '../../functions/shared/adapters/observability';

const servers: { server: Server; sockets: Socket[] }[] = [];
afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const entry = { server, sockets, port: (server.address() as { port: number }).port };
  servers.push(entry);
  return entry;
}

function watched(id: string, port: number): ResolvedMonitor {
  return resolveMonitor({ id, host: '127.0.0.1', port, watch: true, retries: 0, timeoutMs: 1000 }, ['eu-west-1']);
}

function watcher(maxHeld: number, events: WatchEvent[]): Watcher {
  return new Watcher({
    region: 'eu-west-1', log: silentLog, now: Date.now, maxHeld,
    write: async (event) => {
      events.push(event);
    },
    reprobe: async (monitor, budgetMs) => (await probeRound([monitor], { maxSockets: 1, deadlineMs: budgetMs })).get(monitor.id),
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !check(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('Watcher', () => {
  it('holds one connection per watched monitor that was up, and never more than its cap', async () => {
    const targets = await Promise.all([listen(), listen(), listen()]);
    const monitors = targets.map((t, i) => watched(`m${i}`, t.port));
    const unwatched = resolveMonitor({ id: 'plain', host: '127.0.0.1', port: targets[0]!.port }, ['eu-west-1']);
    const outcomes = await probeRound([...monitors, unwatched]);
    const events: WatchEvent[] = [];
    const w = watcher(2, events);
    w.hold([...monitors, unwatched], outcomes);
    w.hold(monitors, outcomes); // a later round: already held, nothing more
    expect(w.size).toBe(2);
    await until('the held connections to arrive', () => targets[0]!.sockets.length + targets[1]!.sockets.length >= 4);
    const summary = await w.close();
    expect(summary).toMatchObject({ held: 2, overCap: 2, events: 0, drops: 0 });
    expect(events).toEqual([]);
  });

  it('does not hold a connection for a monitor whose round failed', async () => {
    const target = await listen();
    const monitor = watched('m', target.port);
    const down: ProbeOutcome = { ok: false, errorClass: 'refused', phase: 'connect', code: 'ECONNREFUSED', message: 'refused', portOpen: false, attempts: 1, timings: {} as ProbeOutcome['timings'] };
    const w = watcher(10, []);
    w.hold([monitor], new Map([['m', down]]));
    expect(w.size).toBe(0);
    await w.close();
  });

  it('writes one watch event when the server dies: the held connection is reset and the re-probe refused', async () => {
    const target = await listen();
    const monitor = watched('m', target.port);
    const events: WatchEvent[] = [];
    const w = watcher(10, events);
    w.hold([monitor], await probeRound([monitor]));
    await until('the held connection to arrive', () => target.sockets.length >= 2);
    // The process dies: its listener closes and its connections are reset.
    target.server.close();
    for (const s of target.sockets) s.resetAndDestroy();
    await until('the watch event', () => events.length > 0);
    const summary = await w.close();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ monitor: 'm', region: 'eu-west-1', result: { status: 'down', errorClass: 'refused', code: 'ECONNREFUSED' } });
    expect(summary).toMatchObject({ drops: 1, reprobesOk: 0, events: 1 });
  });
});
