// Human-readable rendering of probe outcomes: one line per outcome, and a table for many monitors.
import { hostPort, type ProbeOutcome, type ResolvedMonitor } from '../../functions/shared/domain';
import { formatMs, roundMs } from '../../functions/shared/domain/display';

function ms(value: number | undefined): string | undefined {
  return value === undefined ? undefined : formatMs(value);
}

/** JSON.stringify replacer: every `…Ms` number (timings, latencies) to 0.1 ms. */
export function roundTimings(key: string, value: unknown): unknown {
  return typeof value === 'number' && key.endsWith('Ms') && Number.isFinite(value) ? roundMs(value) : value;
}

type Failure = Extract<ProbeOutcome, { ok: false }>;

/** What went wrong, for a person, with the error class in it: `dns: name not found`, `connection refused`, `timeout in connect`. */
function failureText(outcome: Failure): string {
  if (outcome.code === 'EXPECTED_CLOSED') return 'port open, expected closed';
  switch (outcome.errorClass) {
    case 'dns':
      return outcome.code === 'ENOTFOUND' || outcome.code === 'EAI_NONAME' ? 'dns: name not found' : 'dns lookup failed';
    case 'refused':
      return 'connection refused';
    case 'timeout':
      return `timeout in ${outcome.phase}`;
    case 'unreachable':
      return 'host unreachable';
    case 'reset':
      return `connection reset in ${outcome.phase}`;
    case 'tls':
      return outcome.phase === 'tls' ? 'tls handshake failed' : `tls failed in ${outcome.phase}`;
    case 'protocol':
      return `protocol: wrong answer in ${outcome.phase}`;
    case 'config':
      return 'config: the check cannot run as declared';
  }
}

function timingsText(outcome: ProbeOutcome): string {
  const t = outcome.timings;
  return [
    ['dns', t.dnsMs], ['connect', t.connectMs], ['tls', t.tlsMs], ['first byte', t.firstByteMs], ['total', t.totalMs],
  ].flatMap(([label, value]) => (value === undefined ? [] : [`${label} ${ms(value as number)}`])).join('  ');
}

/** One line: verdict, class and phase, timings, certificate days, what was learned. */
export function outcomeLine(monitor: ResolvedMonitor, outcome: ProbeOutcome): string {
  const parts: string[] = [];
  const what = monitor.preset ?? (monitor.expectClosed ? 'expect closed' : monitor.tls ? 'tls' : 'tcp');
  if (outcome.ok) {
    parts.push(`UP    ${hostPort(monitor.host, monitor.port)}  ${what}`);
    if (outcome.address && outcome.address !== monitor.host) parts.push(`(${outcome.address})`);
    parts.push(timingsText(outcome));
    if (!outcome.portOpen) parts.push('port closed as expected');
    if (outcome.httpStatus !== undefined) parts.push(`HTTP ${outcome.httpStatus}`);
    if (outcome.serverVersion) parts.push(`server ${outcome.serverVersion}`);
  } else {
    parts.push(`DOWN  ${hostPort(monitor.host, monitor.port)}  ${what}  ${failureText(outcome)} (${outcome.code})`);
    if (outcome.portOpen && !monitor.expectClosed) parts.push('the port is open, the service behind it failed:');
    parts.push(outcome.message);
    // A wrong answer's message quotes it already.
    if (outcome.received !== undefined && !outcome.message.includes(outcome.received)) parts.push(`received "${outcome.received}"`);
    parts.push(timingsText(outcome));
  }
  if (outcome.attempts > 1) parts.push(`${outcome.attempts} attempts`);
  if (outcome.tls) {
    const days = outcome.tls.daysLeft;
    parts.push(`${outcome.tls.protocol} cert ${days >= 0 ? `${days} days left` : `expired ${-days} days ago`}`);
  }
  if (outcome.addresses && outcome.addresses.length > 1) {
    parts.push(`addresses: ${outcome.addresses.map((a) => `${a.address} ${a.ok ? 'up' : a.errorClass}`).join(', ')}`);
  }
  return parts.join('  ');
}

/** A fixed-width table, one row per monitor. */
export function outcomeTable(rows: Array<{ monitor: ResolvedMonitor; outcome: ProbeOutcome }>): string {
  const header = ['MONITOR', 'TARGET', 'VERDICT', 'CLASS', 'PHASE', 'CONNECT', 'TOTAL', 'CERT DAYS', 'DETAIL'];
  const lines = rows.map(({ monitor, outcome }) => [
    monitor.id,
    hostPort(monitor.host, monitor.port),
    outcome.ok ? 'UP' : 'DOWN',
    outcome.ok ? '-' : outcome.errorClass,
    outcome.ok ? '-' : outcome.phase,
    ms(outcome.timings.connectMs) ?? '-',
    ms(outcome.timings.totalMs) ?? '-',
    outcome.tls ? String(outcome.tls.daysLeft) : '-',
    outcome.ok ? (outcome.serverVersion ?? outcome.banner ?? '') : `${outcome.code}: ${outcome.message}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(header), ...lines.map(render)].join('\n');
}
