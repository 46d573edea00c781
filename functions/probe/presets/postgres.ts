// postgres: SSLRequest → 'S' (TLS on offer) or 'N'; with starttls, require 'S' and complete the handshake.
import { presetFacts, type Preset } from './types';

/** Int32 length 8, Int32 80877103 (the SSLRequest code, PostgreSQL protocol §55.2.10). */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export const postgres: Preset = {
  ...presetFacts('postgres'),
  async run(dialog, { starttls }) {
    await dialog.write(SSL_REQUEST);
    // PostgreSQL answers one byte and then waits; a server that volunteers more (an SSH or SMTP banner
    // starting with 'S' or 'N') is not PostgreSQL, so everything that arrived is taken and checked.
    const reply = await dialog.readUntil((b) => (b.length > 0 ? b.length : undefined), 'answer to SSLRequest');
    if (reply.length > 1) return dialog.fail(`expected a one-byte answer to a PostgreSQL SSLRequest`, { received: reply });
    const answer = reply[0];
    if (answer === 0x53 /* S */) {
      if (starttls) await dialog.startTls();
      return { banner: 'SSLRequest: S (TLS offered)' };
    }
    if (answer === 0x4e /* N */) {
      if (starttls) dialog.fail(`the server answered 'N' to SSLRequest: TLS is off (set ssl = on in postgresql.conf, or drop starttls)`, { received: 'N', code: 'STARTTLS_REFUSED' });
      return { banner: 'SSLRequest: N (no TLS)' };
    }
    return dialog.fail(`expected 'S' or 'N' to a PostgreSQL SSLRequest`, { received: Buffer.from([answer ?? 0]) });
  },
};
