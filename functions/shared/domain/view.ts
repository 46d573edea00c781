// What one region saw of a monitor beyond up or down — its certificate, the addresses its name resolved to, the
// banner or version the service announced — as a short text the probe records only when it changed, so the aggregator
// can tell regions that are served different things (DIVERGED).
import type { ProbeOutcome } from './outcome';

/** A view is at most this long in a round item (it is written only when it changes). */
export const MAX_VIEW = 160;

/**
 * The view of an up outcome: `cert <fingerprint> <issuer CN> until <date>`, `addr <a,b>`, `version <server version>`, joined
 * by ' · '; undefined when the outcome shows none of them (a bare TCP connect to an IP literal) or is down.
 */
export function viewOf(outcome: ProbeOutcome): string | undefined {
  if (!outcome.ok) return undefined;
  const parts: string[] = [];
  if (outcome.tls) {
    const issuer = /(?:^|, )CN=([^,]+)/.exec(outcome.tls.issuer)?.[1] ?? outcome.tls.issuer;
    parts.push(`cert ${outcome.tls.fingerprint ?? '?'} ${issuer} until ${outcome.tls.notAfter.slice(0, 10)}`.replace(/\s+/g, ' '));
  }
  if (outcome.resolved?.length) parts.push(`addr ${outcome.resolved.join(',')}`);
  // The version the protocol announces (SSH, MySQL, an HTTP Server header), never the raw banner: many banners carry
  // the time of day, which would make a view that changes every round.
  if (outcome.serverVersion) parts.push(`version ${outcome.serverVersion.split(/\r?\n/)[0]!.slice(0, 60)}`);
  if (parts.length === 0) return undefined;
  const text = parts.join(' · ').replace(/[\t\r\n]+/g, ' ');
  return text.length > MAX_VIEW ? `${text.slice(0, MAX_VIEW - 1)}…` : text;
}
