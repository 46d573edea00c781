// The probe engine: probeMonitor (one monitor, with DNS, retries and allAddresses) and probeRound (many, capped).
import { isIP } from 'node:net';
import type { AddressOutcome, ProbeDown, ProbeOutcome, ProbeUp, ResolvedMonitor } from '../../shared/domain';
import { hostPort } from '../../shared/domain/net';
import { isLinkLocal } from './addresses';
import { runAttempt, type AttemptResult } from './attempt';
import { isDefinitiveDnsAnswer } from './classify';
import { giveUpAt, race, sleep } from './deadline';
import { ProbeFailure, timeoutFailure, toFailure } from './failure';
import { createRoundResolver, type ResolvedAddress, type RoundResolver } from './resolver';
import { SocketSlots } from './slots';
import type { ExtraCa } from './tls-info';

export { classifyError, isDefinitiveDnsAnswer } from './classify';
export { isLinkLocal } from './addresses';
export { printable } from './printable';
export { createRoundResolver, type LookupFunction,    } from './resolver';
export { SocketSlots } from './slots';
export type { ExtraCa } from './tls-info';

export interface ProbeOptions {
  /** DNS cache shared with other probes of the same round. @default a fresh one */
  resolver?: RoundResolver;
  /** Extra trusted CA certificates (PEM), added to the public roots. @default none (NODE_EXTRA_CA_CERTS still applies) */
  ca?: ExtraCa;
  /** Ends the probe early; in-flight attempts end as `timeout` with code ABORTED. */
  signal?: AbortSignal;
  /** Absolute time (epoch ms) by which the probe must have finished, retries included. @default only the monitor's own timeouts */
  deadlineAt?: number;
  /** Caps open sockets across probes sharing it. @default no cap */
  slots?: SocketSlots;
  /** @default epochNow (sub-millisecond, monotonic within a process) */
  now?: () => number;
}

export interface RoundOptions {
  /** Most sockets open at once across the round. @default 256 (Lambda allows 1,024 descriptors) */
  maxSockets?: number;
  /** Budget for the whole round in ms, retries included. @default none beyond each monitor's timeouts */
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Per-round DNS cache. @default a fresh one for this round */
  resolver?: RoundResolver;
  /** Extra trusted CA certificates (PEM). */
  ca?: ExtraCa;
  /** @default epochNow (sub-millisecond, monotonic within a process) */
  now?: () => number;
}

/** Epoch milliseconds with sub-millisecond precision; monotonic, so phase timings never go negative. */
const epochNow = (): number => performance.timeOrigin + performance.now();

/** Pauses between in-round attempts; short, because the round's other monitors are waiting on the budget. */
export const RETRY_BACKOFF_MS = [100, 250, 500, 1000, 2000] as const;
/** Below this much time left, a retry could not finish anything useful. */
const MIN_ATTEMPT_MS = 50;

/** Probes every monitor concurrently under a cap on open sockets; one outcome per monitor id. */
export async function probeRound(monitors: ResolvedMonitor[], options: RoundOptions = {}): Promise<Map<string, ProbeOutcome>> {
  const now = options.now ?? epochNow;
  const shared: ProbeOptions = {
    resolver: options.resolver ?? createRoundResolver(),
    slots: new SocketSlots(options.maxSockets ?? 256),
    now,
  };
  if (options.deadlineMs !== undefined) shared.deadlineAt = now() + options.deadlineMs;
  if (options.signal) shared.signal = options.signal;
  if (options.ca) shared.ca = options.ca;
  const outcomes = await Promise.all(monitors.map(async (m) => [m.id, await probeMonitor(m, shared)] as const));
  return new Map(outcomes);
}

/** Probes one monitor: resolve, connect (with retries), speak its protocol; never throws for a failing target. */
export async function probeMonitor(monitor: ResolvedMonitor, options: ProbeOptions = {}): Promise<ProbeOutcome> {
  const ctx: Context = {
    resolver: options.resolver ?? createRoundResolver(),
    now: options.now ?? epochNow,
    deadlineAt: options.deadlineAt,
    signal: options.signal,
    slots: options.slots,
    ca: options.ca,
  };
  const resolved = await resolve(monitor, ctx);
  if ('down' in resolved) return resolved.down;
  const { addresses, dnsMs, attempts } = resolved;
  const blocked = (a: ResolvedAddress) => !monitor.allowLinkLocal && isLinkLocal(a.address);
  // What the name resolved to here (a region's view, compared across regions); an IP literal resolves to itself.
  const withResolved = (outcome: ProbeOutcome): ProbeOutcome => (isIP(monitor.host) !== 0 ? outcome
    : { ...outcome, resolved: [...new Set(addresses.map((a) => a.address))].sort() });

  if (!monitor.allAddresses) {
    const allowed = addresses.filter((a) => !blocked(a));
    if (allowed.length === 0) return blockedOutcome(monitor, addresses[0]!.address, dnsMs, attempts);
    return withResolved(await probeAddresses(monitor, allowed, ctx, dnsMs, attempts));
  }
  const perAddress = await Promise.all(addresses.map((a) => (blocked(a)
    ? blockedOutcome(monitor, a.address, dnsMs, attempts)
    : probeAddresses(monitor, [a], ctx, dnsMs, attempts))));
  return withResolved(mergeAddresses(monitor, perAddress));
}

interface Context {
  resolver: RoundResolver;
  now: () => number;
  deadlineAt: number | undefined;
  signal: AbortSignal | undefined;
  slots: SocketSlots | undefined;
  ca: ExtraCa | undefined;
}

type Resolution = { addresses: ResolvedAddress[]; dnsMs?: number; attempts: number } | { down: ProbeDown };

/**
 * IP literals skip DNS. Transient failures are retried from the monitor's retry budget (the attempts
 * spent count in the outcome); a definitive answer (NXDOMAIN, no address of the family) is not retried,
 * because nothing can change it within a round.
 */
async function resolve(m: ResolvedMonitor, ctx: Context): Promise<Resolution> {
  const literal = isIP(m.host);
  if (literal !== 0) return { addresses: [{ address: m.host, family: literal === 6 ? 6 : 4 }], attempts: 0 };
  const startedAt = ctx.now();
  for (let attempt = 1; ; attempt++) {
    const t0 = ctx.now();
    const ms = Math.min(m.timeoutMs.dns, remaining(ctx));
    try {
      const addresses = await race(ctx.resolver.resolve(m.host, m.family), ms,
        () => timeoutFailure('dns', `'${m.host}'`, Math.round(ms), 'ETIMEOUT'), ctx.signal,
        () => new ProbeFailure('timeout', 'dns', 'ABORTED', `'${m.host}': probe aborted while resolving (the round ran out of time)`));
      return { addresses, dnsMs: ctx.now() - t0, attempts: attempt - 1 };
    } catch (error) {
      const failure = toFailure(error, 'dns', `'${m.host}'`);
      const wantFamily = m.family === 'auto' ? '' : ` (family ${m.family})`;
      const message = failure.errorClass === 'dns'
        ? `'${m.host}'${wantFamily} did not resolve: ${failure.code} (check the name and its DNS records)`
        : failure.message;
      const down: ProbeDown = {
        ok: false, errorClass: failure.errorClass, phase: 'dns', code: failure.code, message, portOpen: false,
        attempts: attempt, timings: { dnsMs: ctx.now() - t0, totalMs: ctx.now() - startedAt },
      };
      if (isDefinitiveDnsAnswer(failure.code) || attempt > m.retries || !(await backoff(attempt, ctx))) return { down };
    }
  }
}

/**
 * Attempts on one address or a rotation of them (a retry tries the next resolved address, as a client
 * with several A records would), each holding one socket slot while its socket is open.
 */
async function probeAddresses(m: ResolvedMonitor, candidates: ResolvedAddress[], ctx: Context, dnsMs: number | undefined, priorAttempts: number): Promise<ProbeOutcome> {
  let attempts = priorAttempts;
  for (let i = 0; ; i++) {
    const target = candidates[i % candidates.length]!;
    attempts += 1;
    const result = await attemptWithSlot(m, target, ctx);
    const outcome = toOutcome(target.address, result, dnsMs, attempts);
    // A deterministic failure is retried only on an address not tried yet, where the answer may differ.
    const retryable = !outcome.ok && (isRetryable(outcome) || (i + 1 < candidates.length && isRetryableElsewhere(outcome)));
    if (outcome.ok || attempts > m.retries || !retryable || !(await backoff(attempts, ctx))) return outcome;
  }
}

async function attemptWithSlot(m: ResolvedMonitor, target: ResolvedAddress, ctx: Context): Promise<AttemptResult> {
  const where = hostPort(target.address, m.port);
  if (ctx.slots) {
    const giveUp = giveUpAt(ctx.deadlineAt, ctx.now, ctx.signal);
    const granted = await ctx.slots.acquire(giveUp.promise);
    giveUp.cancel();
    if (!granted) {
      const failure = ctx.signal?.aborted
        ? new ProbeFailure('timeout', 'connect', 'ABORTED', `${where}: probe aborted before a socket was free`)
        : new ProbeFailure('timeout', 'connect', 'ROUND_DEADLINE', `${where}: the round's deadline passed before a socket was free (raise maxSockets or the round budget)`);
      return { ok: false, failure, portOpen: false, timings: { attemptMs: 0 } };
    }
  }
  try {
    const endAt = Math.min(ctx.now() + m.timeoutMs.total, ctx.deadlineAt ?? Infinity);
    return await runAttempt({ monitor: m, address: target.address, family: target.family, endAt, now: ctx.now, ...(ctx.ca ? { ca: ctx.ca } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } finally {
    ctx.slots?.release();
  }
}

/** The guard and the round's own limits hold for every address. */
function isRetryableElsewhere(outcome: ProbeDown): boolean {
  return outcome.errorClass !== 'config' && !['ABORTED', 'ROUND_DEADLINE', 'BLOCKED_LINK_LOCAL'].includes(outcome.code);
}

/** Codes of a TLS failure that a retry may not meet again: the connection broke, the server did not refuse us. */
const TRANSIENT_TLS_CODES = ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EOF'];

/**
 * Deterministic answers are not retried within the round: a refused connection, a wrong answer (protocol), a
 * certificate or TLS handshake the server rejected, and the guard and the round's own limits. The next round asks
 * again. Timeouts, resets and unreachable networks may be transient, and are retried.
 */
function isRetryable(outcome: ProbeDown): boolean {
  if (!isRetryableElsewhere(outcome)) return false;
  if (outcome.errorClass === 'refused' || outcome.errorClass === 'protocol') return false;
  if (outcome.errorClass === 'tls') return !(outcome.tls !== undefined && !outcome.tls.authorized) && TRANSIENT_TLS_CODES.includes(outcome.code);
  return true;
}

/** Sleeps before attempt `done + 1`; false when the round's deadline or an abort leaves no room for it. */
async function backoff(done: number, ctx: Context): Promise<boolean> {
  const pause = RETRY_BACKOFF_MS[Math.min(done - 1, RETRY_BACKOFF_MS.length - 1)]!;
  if (remaining(ctx) < pause + MIN_ATTEMPT_MS) return false;
  return sleep(pause, ctx.signal);
}

function remaining(ctx: Context): number {
  return ctx.deadlineAt === undefined ? Infinity : Math.max(0, ctx.deadlineAt - ctx.now());
}

function toOutcome(address: string, result: AttemptResult, dnsMs: number | undefined, attempts: number): ProbeOutcome {
  const { attemptMs, ...phases } = result.timings;
  const timings = { ...(dnsMs !== undefined ? { dnsMs } : {}), ...phases, totalMs: (dnsMs ?? 0) + attemptMs };
  if (result.ok) {
    const { ok: _ok, timings: _t, ...learned } = result;
    return { ok: true, address, attempts, timings, ...learned } satisfies ProbeUp;
  }
  const { failure } = result;
  const down: ProbeDown = {
    ok: false, errorClass: failure.errorClass, phase: failure.phase, code: failure.code, message: failure.message,
    portOpen: result.portOpen, address, attempts, timings,
  };
  if (failure.received !== undefined) down.received = failure.received;
  if (failure.httpStatus !== undefined) down.httpStatus = failure.httpStatus;
  if (result.tls) down.tls = result.tls;
  return down;
}

function blockedOutcome(m: ResolvedMonitor, address: string, dnsMs: number | undefined, attempts: number): ProbeDown {
  const via = address === m.host ? '' : ` (resolved from '${m.host}')`;
  return {
    ok: false, errorClass: 'unreachable', phase: 'connect', code: 'BLOCKED_LINK_LOCAL', portOpen: false, address,
    message: `${address}${via} is a link-local or instance-metadata address; probes refuse it unless the monitor sets allowLinkLocal: true`,
    attempts: Math.max(1, attempts), timings: { ...(dnsMs !== undefined ? { dnsMs } : {}), totalMs: dnsMs ?? 0 },
  };
}

/** allAddresses: down if any address is down; the first down address decides and every address is listed. */
function mergeAddresses(m: ResolvedMonitor, outcomes: ProbeOutcome[]): ProbeOutcome {
  const addresses: AddressOutcome[] = outcomes.map((o) => {
    const entry: AddressOutcome = { address: o.address ?? m.host, ok: o.ok };
    if (!o.ok) entry.errorClass = o.errorClass;
    if (o.timings.connectMs !== undefined) entry.connectMs = o.timings.connectMs;
    return entry;
  });
  const attempts = Math.max(...outcomes.map((o) => o.attempts));
  const down = outcomes.find((o): o is ProbeDown => !o.ok);
  if (!down) return { ...outcomes[0]!, attempts, addresses };
  const failing = addresses.filter((a) => !a.ok).map((a) => a.address);
  return {
    ...down, attempts, addresses,
    message: `${failing.length} of ${addresses.length} addresses of '${m.host}' down (${failing.join(', ')}): ${down.message}`,
  };
}
