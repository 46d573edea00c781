// The supervisor the local fleet stops its parts with: last started first, each with its own deadline, a failing
// part reported without keeping the rest running, and one stop however often it is asked for.
import { describe, expect, it } from 'vitest';
import { Supervisor, type Part } from '../../bin/local/supervisor';

interface Stop {
  name: string;
  deadline: number;
  stoppingSeen: boolean;
}

function recorder(supervisor: Supervisor, log: Stop[], name: string, fails?: string): Part {
  return {
    name,
    async stop(deadline) {
      log.push({ name, deadline, stoppingSeen: supervisor.isStopping });
      await new Promise((resolve) => setImmediate(resolve));
      if (fails) throw new Error(fails);
    },
  };
}

describe('Supervisor', () => {
  it('stops parts in reverse order of start, each given a deadline from when its own stop begins', async () => {
    const supervisor = new Supervisor({ stopWithinMs: 7000 });
    const log: Stop[] = [];
    for (const name of ['run dir', 'backend', 'workers', 'poller']) supervisor.add(recorder(supervisor, log, name));
    expect(supervisor.isStopping).toBe(false);
    const before = Date.now();
    const report = await supervisor.stop();
    expect(log.map((s) => s.name)).toEqual(['poller', 'workers', 'backend', 'run dir']);
    for (const s of log) {
      expect(s.stoppingSeen).toBe(true);
      expect(s.deadline).toBeGreaterThanOrEqual(before + 7000);
      expect(s.deadline).toBeLessThanOrEqual(Date.now() + 7000);
    }
    expect(report.map((r) => r.name)).toEqual(['poller', 'workers', 'backend', 'run dir']);
    expect(report.every((r) => r.error === undefined && r.ms >= 0)).toBe(true);
  });

  it('reports a part whose stop fails and still stops the parts started before it', async () => {
    const failed: string[] = [];
    const supervisor = new Supervisor({ onStopFailed: (name, error) => failed.push(`${name}: ${error.message}`) });
    const log: Stop[] = [];
    supervisor.add(recorder(supervisor, log, 'backend'));
    supervisor.add(recorder(supervisor, log, 'namespaces', 'ip netns del failed'));
    supervisor.add(recorder(supervisor, log, 'workers'));
    const report = await supervisor.stop();
    expect(log.map((s) => s.name)).toEqual(['workers', 'namespaces', 'backend']);
    expect(failed).toEqual(['namespaces: ip netns del failed']);
    expect(report.find((r) => r.name === 'namespaces')?.error?.message).toBe('ip netns del failed');
  });

  it('stops once: a second stop() waits for the first, and stopped resolves after the last part', async () => {
    const supervisor = new Supervisor();
    const log: Stop[] = [];
    supervisor.add(recorder(supervisor, log, 'a'));
    supervisor.add(recorder(supervisor, log, 'b'));
    let stoppedAt = -1;
    void supervisor.stopped.then(() => (stoppedAt = log.length));
    const [first, second] = await Promise.all([supervisor.stop(), supervisor.stop()]);
    await supervisor.stopped;
    expect(second).toBe(first);
    expect(log.map((s) => s.name)).toEqual(['b', 'a']);
    expect(stoppedAt).toBe(2);
  });

  it('leaves no exit hook behind once stopped', async () => {
    const hooks = process.listenerCount('exit');
    const supervisor = new Supervisor();
    expect(process.listenerCount('exit')).toBe(hooks + 1);
    await supervisor.stop();
    expect(process.listenerCount('exit')).toBe(hooks);
  });
});

describe('Supervisor deadlines', () => {
  it('gives up on a part stuck past its deadline (abandoning it), stops the rest, and reports every part once', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ stopWithinMs: 100, onStopped: (s) => lines.push(`${s.name}${s.error ? `: ${s.error.message}` : ''}`) });
    const log: Stop[] = [];
    let abandoned = false;
    supervisor.add(recorder(supervisor, log, 'backend'));
    supervisor.add({ name: 'stuck', stop: () => new Promise<void>(() => undefined), abandon: () => (abandoned = true) });
    supervisor.add(recorder(supervisor, log, 'workers'));
    await supervisor.stop();
    expect(abandoned).toBe(true);
    expect(log.map((s) => s.name)).toEqual(['workers', 'backend']);
    expect(lines).toEqual(['workers', 'stuck: did not stop by its deadline; left to the exit hook', 'backend']);
  });

  it('keeps every deadline inside the whole shutdown\'s bound', async () => {
    const supervisor = new Supervisor({ stopWithinMs: 60_000, stopAllWithinMs: 1000 });
    const log: Stop[] = [];
    for (const name of ['a', 'b']) supervisor.add(recorder(supervisor, log, name));
    const before = Date.now();
    await supervisor.stop();
    for (const s of log) expect(s.deadline).toBeLessThanOrEqual(before + 1000 + 50);
  });
});
