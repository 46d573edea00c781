// Helpers shared by the line-based presets: multi-line numeric replies (SMTP, FTP) and expectations.
import type { PresetDialog } from './types';

export interface NumericReply {
  code: number;
  lines: string[];
  /** The reply as received, for evidence. */
  text: string;
}

/** Reads an SMTP/FTP style reply: `250-…` continuation lines until `250 …` (RFC 5321 §4.2, RFC 959 §4.2). */
export async function readNumericReply(dialog: PresetDialog, what: string): Promise<NumericReply> {
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    const line = await dialog.readLine();
    lines.push(line);
    const match = /^(\d{3})([ -]?)/.exec(line);
    if (!match) dialog.fail(`expected ${what}, got a line that is not a numeric reply`, { received: lines.join('\r\n') });
    if (match[2] !== '-') return { code: Number(match[1]), lines, text: lines.join('\r\n') };
  }
  return dialog.fail(`${what} did not end within 100 lines`, { received: lines.join('\r\n') });
}

/** Fails as `protocol` unless the reply has the expected code. */
export function requireCode(dialog: PresetDialog, reply: NumericReply, code: number, what: string): void {
  if (reply.code !== code) dialog.fail(`expected ${code} ${what}, got ${reply.code}`, { received: reply.text });
}

/** Best-effort polite goodbye: servers log fewer aborted sessions; its failure never decides the outcome. */
export async function sayGoodbye(dialog: PresetDialog, command: string): Promise<void> {
  try {
    await dialog.write(command);
  } catch {
    // The verdict is already known; a server that closed first is fine.
  }
}
