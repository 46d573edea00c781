// Exposure audit: a monitor declared `exposure: 'private'` must stay closed (refused, silent, unresolvable) from the
// public probe regions. No quorum: one region that connects is the finding.

/** The code a probe reports when a port that must stay closed accepted a connection. */
export const OPEN_CODE = 'EXPECTED_CLOSED';

/** One region that reached a port that must stay closed, and what it found there. */
export interface OpenPath {
  region: string;
  /** `address:port` the region connected to. */
  address: string;
  /** The first bytes the service sent (a banner), when it sent any within the probe's short wait. */
  answered?: string;
}

/** What a probe result says about exposure: open (with the address and banner its message names), or not. */
export function openPath(region: string, result: { status: string; code?: string; message?: string }): OpenPath | undefined {
  if (result.status !== 'down' || result.code !== OPEN_CODE) return undefined;
  const message = result.message ?? '';
  // The probe writes: `<address:port> accepted a connection[ and answered '<banner>'], but …` (see attempt.ts).
  const address = /^(\S+) accepted a connection/.exec(message)?.[1] ?? '';
  const answered = /accepted a connection and answered '((?:[^']|'(?!, but))*)'/.exec(message)?.[1];
  return { region, address, ...(answered !== undefined ? { answered } : {}) };
}

/** The message a probe gives for an open port that must stay closed; `openPath` reads it back. */
export function openPortMessage(where: string, answered: string | undefined): string {
  const said = answered === undefined ? '' : ` and answered '${answered.slice(0, 60)}'`;
  return `${where} accepted a connection${said}, but the monitor expects the port closed (close the port or firewall it)`;
}
