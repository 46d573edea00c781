// mysql: the server speaks first with an initial handshake packet, protocol version 10, then its version.
import { presetFacts, type Preset, type PresetDialog } from './types';

/** A little more of a wrong answer for the evidence, without waiting long for it. */
async function peekLine(dialog: PresetDialog): Promise<string> {
  const rest = await dialog.readUntil((b) => (b.length > 0 ? Math.min(b.length, 60) : undefined), 'more bytes').catch(() => Buffer.alloc(0));
  return rest.toString('latin1');
}

export const mysql: Preset = {
  ...presetFacts('mysql'),
  async run(dialog) {
    const header = await dialog.readBytes(4);
    const length = header.readUIntLE(0, 3);
    // A greeting is packet 0 and small; anything else is not MySQL (and waiting for `length` bytes would only time out).
    if (header[3] !== 0 || length < 2 || length > 1024) {
      return dialog.fail('expected a MySQL handshake packet', { received: Buffer.concat([header, Buffer.from(await peekLine(dialog))]) });
    }
    // The version string sits near the start; the rest of the packet is not needed.
    const payload = await dialog.readBytes(Math.min(length, 128));
    const kind = payload[0];
    if (kind === 0xff) {
      const code = payload.length >= 3 ? payload.readUInt16LE(1) : 0;
      const text = payload.subarray(3).toString('utf8').replace(/^#\w{5}/, '');
      return dialog.fail(`MySQL refused the connection with error ${code}: ${text}`, { received: payload, code: 'SERVER_ERROR' });
    }
    if (kind !== 10) return dialog.fail(`expected a MySQL handshake (protocol version 10)`, { received: Buffer.concat([header, payload]) });
    const end = payload.indexOf(0, 1);
    if (end < 0) return dialog.fail('MySQL handshake without a version string', { received: payload });
    const serverVersion = payload.subarray(1, end).toString('utf8');
    return { banner: `MySQL protocol 10, ${serverVersion}`, serverVersion };
  },
};
