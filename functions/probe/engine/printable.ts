// Renders bytes a server sent as short printable text for evidence and messages, with the monitor's own send redacted.
import { isSecretReference, redactSecrets, secretsOf, type SendSpec } from '../../shared/domain';

/** The bytes a send stands for; undefined for a secret reference (the probe handler resolves those before probing). */
export function sendBytes(send: SendSpec): Buffer | undefined {
  if (isSecretReference(send)) return undefined;
  return typeof send === 'string' ? Buffer.from(send, 'utf8') : Buffer.from(send.hex, 'hex');
}

/** What replies are searched for before they are shown: the monitor's send (a server may echo a password back). */
export function replySecrets(send: SendSpec | undefined): string[] {
  return send === undefined ? [] : secretsOf(sendBytes(send));
}

/** `printable` of a reply, with every occurrence of the monitor's send (whole, or a line of it) as `<redacted>`. */
export function shownReply(data: Buffer | string, secrets: readonly string[], max?: number): string {
  if (secrets.length === 0) return printable(data, max);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return printable(Buffer.from(redactSecrets(bytes.toString('latin1'), secrets), 'latin1'), max);
}

/** Escapes control and non-ASCII bytes (\r, \n, \t, \xNN) and truncates to `max` characters with `…`. */
export function printable(data: Buffer | string, max = 120): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let out = '';
  for (const byte of bytes) {
    let piece: string;
    if (byte === 0x0d) piece = '\\r';
    else if (byte === 0x0a) piece = '\\n';
    else if (byte === 0x09) piece = '\\t';
    else if (byte === 0x5c) piece = '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) piece = String.fromCharCode(byte);
    else piece = `\\x${byte.toString(16).padStart(2, '0')}`;
    if (out.length + piece.length > max) return `${out}…`;
    out += piece;
  }
  return out;
}
