// Silences set from the CLI without a deploy: by monitor or by tag, until an instant. Verdicts and history go on inside
// one; pages and reminders stop (EXPOSED and EXPOSURE_CLOSED excepted); its end pages a verdict it held.
import type { SilenceNote } from './alert';
import type { ResolvedMonitor } from './monitor';

export type SilenceTarget = { monitor: string } | { tag: { key: string; value: string } };

/** A silence as stored (pk `silence`, one item per target: a new silence of a target replaces the old one). */
export interface Silence {
  target: SilenceTarget;
  /** Who set it: an IAM ARN (deployed), the OS user (local). */
  by: string;
  reason?: string;
  /** Epoch ms it was set. */
  since: number;
  /** Epoch ms it ends. The item's TTL deletes it later (TTL deletes late), so this is what the code checks. */
  until: number;
}

/** `monitor:<id>` or `tag:<key>=<value>`: how people and the history name a silence's target. */
export function targetText(target: SilenceTarget): string {
  return 'monitor' in target ? `monitor:${target.monitor}` : `tag:${target.tag.key}=${target.tag.value}`;
}

/** Whether a silence covers the monitor: its own, or a tag it carries with that value. */
export function covers(silence: Silence, monitor: Pick<ResolvedMonitor, 'id' | 'tags'>): boolean {
  const { target } = silence;
  return 'monitor' in target ? target.monitor === monitor.id : monitor.tags[target.tag.key] === target.tag.value;
}

/** The silence in force on the monitor at `now` (the one that ends last, when several cover it), as alerts carry it. */
export function silenceFor(monitor: Pick<ResolvedMonitor, 'id' | 'tags'>, silences: readonly Silence[], now: number): SilenceNote | undefined {
  let best: Silence | undefined;
  for (const s of silences) if (s.until > now && covers(s, monitor) && (!best || s.until > best.until)) best = s;
  return best ? { by: best.by, ...(best.reason !== undefined ? { reason: best.reason } : {}), until: new Date(best.until).toISOString() } : undefined;
}
