// The custom dialog of a monitor without a preset: send bytes, then look for the expected reply.
import { describeReference, type ExpectSpec, type ResolvedMonitor, type SecretReference } from '../../shared/domain';
import { ProbeFailure } from './failure';
import type { UserPattern } from '../../shared/domain/pattern';
import type { PresetDialog, PresetResult } from '../presets/types';
import { printable, replySecrets, sendBytes, shownReply } from './printable';

/** The end offset of the first match of `expect` in `buffered`, or undefined. */
async function matchExpect(expect: ExpectSpec): Promise<(buffered: Buffer) => number | undefined> {
  if (typeof expect === 'string') {
    const needle = Buffer.from(expect, 'utf8');
    return (b) => {
      const i = b.indexOf(needle);
      return i < 0 ? undefined : i + needle.length;
    };
  }
  if ('hex' in expect) {
    const needle = Buffer.from(expect.hex, 'hex');
    return (b) => {
      const i = b.indexOf(needle);
      return i < 0 ? undefined : i + needle.length;
    };
  }
  const pattern = await userPattern(expect.regex, expect.flags);
  // Latin-1 keeps one character per byte. RE2's DFA says whether the reply matches, in time linear in its length,
  // without the match's position: the whole reply is taken (the banner is its first line either way).
  return (b) => (pattern.test(b.toString('latin1')) ? b.length : undefined);
}

/** User patterns, compiled once per process; re2js is loaded (its own chunk of the bundle) only when a monitor has one. */
const patterns = new Map<string, Promise<UserPattern>>();
function userPattern(source: string, flags: string | undefined): Promise<UserPattern> {
  const key = `${flags ?? ''}/${source}`;
  let pattern = patterns.get(key);
  if (!pattern) {
    pattern = import('../../shared/domain/pattern').then((m) => m.compilePattern(source, flags));
    patterns.set(key, pattern);
  }
  return pattern;
}

function describeExpect(expect: ExpectSpec): string {
  if (typeof expect === 'string') return `reply containing '${printable(expect, 60)}'`;
  if ('hex' in expect) return `reply containing bytes ${expect.hex.slice(0, 60)}`;
  return `reply matching /${expect.regex}/${expect.flags ?? ''}`;
}

export async function exchange(dialog: PresetDialog, monitor: ResolvedMonitor): Promise<PresetResult> {
  const match = monitor.expect === undefined ? undefined : await matchExpect(monitor.expect);
  if (monitor.send !== undefined) {
    const bytes = sendBytes(monitor.send);
    if (bytes === undefined) {
      // Only the deployed probe reads secrets (at cold start, with its role); check, test and local do not.
      throw new ProbeFailure('config', 'send', 'SECRET_NOT_READ',
        `send is ${describeReference(monitor.send as SecretReference)}, which only the deployed probe reads (try the exchange with portquorum check --send)`);
    }
    await dialog.write(bytes);
  }
  if (monitor.expect === undefined || match === undefined) return {};
  // Take the rest of the matching line when it is already here, so the banner is a whole line.
  const reply = await dialog.readUntil((b) => {
    const end = match(b);
    if (end === undefined) return undefined;
    const lineEnd = b.indexOf(0x0a, Math.max(0, end - 1));
    return lineEnd >= 0 ? lineEnd + 1 : end;
  }, describeExpect(monitor.expect));
  const firstLine = reply.subarray(0, Math.max(0, reply.indexOf(0x0a)) || reply.length);
  return { banner: shownReply(firstLine.length > 0 ? firstLine : reply, replySecrets(monitor.send)).replace(/\\r$/, '') };
}
