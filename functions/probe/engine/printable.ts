// Renders bytes a server sent as short printable text for evidence and messages.

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
