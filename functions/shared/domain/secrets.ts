// What portquorum never shows: the bytes a monitor sends (a password, a token), wherever a monitor, a reply or a
// declaration problem is shown. (Which fields only the probe reads, so the home functions never get them: fleet.ts.)

/** How many bytes a send holds (UTF-8 for a string); undefined for what is not a send. */
function sendLength(send: unknown): number | undefined {
  if (typeof send === 'string') return new TextEncoder().encode(send).length;
  if (typeof send === 'object' && send !== null && typeof (send as { hex?: unknown }).hex === 'string') {
    return Math.floor((send as { hex: string }).hex.length / 2);
  }
  return undefined;
}

/**
 * The one way a send is shown, in every output (check's JSON, messages, logs): `<redacted: 24 bytes>` (a string counts
 * its UTF-8 bytes, `{ hex }` the bytes it stands for), `<redacted>` for anything else. A secret reference is shown as
 * it is: it names where the secret lives, not the secret.
 */
export function redactedSend(send: unknown): string | SecretReference {
  if (isSecretReference(send)) return send;
  const bytes = sendLength(send);
  return bytes === undefined ? '<redacted>' : `<redacted: ${bytes} bytes>`;
}

/** A copy of a monitor (declared or resolved, or any object with a `send`) whose send is redacted; the rest as is. */
export function redactMonitor<T>(monitor: T): T {
  if (typeof monitor !== 'object' || monitor === null || !('send' in monitor) || monitor.send === undefined) return monitor;
  return { ...monitor, send: redactedSend(monitor.send) } as T;
}

/** Where a send's bytes live instead of the declaration: SSM Parameter Store or Secrets Manager (read by the probe). */
export type SecretReference = ({ ssmParameter: string } | { secretArn: string }) & {
  /** @default 'text' */
  encoding?: 'text' | 'hex';
  kmsKeyArn?: string;
};

export function isSecretReference(send: unknown): send is SecretReference {
  return typeof send === 'object' && send !== null && (typeof (send as { ssmParameter?: unknown }).ssmParameter === 'string' || typeof (send as { secretArn?: unknown }).secretArn === 'string');
}

/** `SSM parameter '/pq/hello'` or `secret 'arn:…'`, for messages. */
export function describeReference(reference: SecretReference): string {
  return 'ssmParameter' in reference ? `SSM parameter '${reference.ssmParameter}'` : `secret '${reference.secretArn}'`;
}

/** What a reply is searched for before it is quoted: the sent bytes whole and each of their lines (4 characters or more). */
export function secretsOf(sent: Uint8Array | undefined): string[] {
  if (sent === undefined || sent.length === 0) return [];
  // One character per byte (Latin-1), as the engine reads replies.
  const text = Array.from(sent, (byte) => String.fromCharCode(byte)).join('');
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length >= 4);
  return [...new Set([text, ...lines])].sort((a, b) => b.length - a.length);
}

/** `text` (Latin-1, a character per byte) with every occurrence of a secret replaced by `<redacted>`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('<redacted>');
  return out;
}
