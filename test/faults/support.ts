// What every row of the fault table asserts about the pages that went out and the states written.
import { expect } from 'vitest';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import type { MonitorState } from '../../functions/shared/domain/verdict';
import type { Pipeline } from '../support/pipeline';

/**
 * Exactly one page per transition, in order, none lost, none forged: the pages delivered for `monitor` are exactly
 * `kinds`, each alert id + sequence once, and each one's round after the previous one's.
 */
export function expectPages(alerts: readonly AlertMessage[], monitor: string, kinds: readonly string[]): void {
  const pages = alerts.filter((a) => (a.monitor?.id ?? 'fleet') === monitor);
  expect(pages.map((a) => a.kind)).toEqual(kinds);
  const keys = pages.map((a) => `${a.alertId}#${a.sequence}`);
  expect(new Set(keys).size).toBe(keys.length);
  const rounds = pages.map((a) => Date.parse(a.round));
  expect(rounds).toEqual([...rounds].sort((x, y) => x - y));
}

/** Records a monitor's stored state whenever asked, and fails if it ever moved backwards (round, version). */
export function stateWatch(p: Pipeline, monitorId: string) {
  const seen: MonitorState[] = [];
  return {
    seen,
    async check(): Promise<void> {
      const state = (await p.table.store.readMonitorState(monitorId))?.state;
      if (!state) return;
      const last = seen[seen.length - 1];
      if (last) {
        expect(state.version, `${monitorId}: version went back from ${last.version} to ${state.version}`).toBeGreaterThanOrEqual(last.version);
        expect(state.round, `${monitorId}: round went back`).toBeGreaterThanOrEqual(last.round);
      }
      seen.push(state);
    },
  };
}
