// One attempt of one monitor on one address: connect, TLS or STARTTLS, then the preset or send/expect dialog.
import { Socket, isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Phase, PhaseTimings, ResolvedMonitor, TlsInfo } from '../../shared/domain';
import { hostPort } from '../../shared/domain/net';
import { presetFor } from '../presets';
import type { FailDetails, PresetDialog, PresetResult } from '../presets/types';
import { race } from './deadline';
import { exchange } from './exchange';
import { ProbeFailure, timeoutFailure, toFailure } from './failure';
import { replySecrets, shownReply } from './printable';
import { OPEN_CODE, openPortMessage } from '../../shared/domain/exposure';

/** How long an exposed port is given to say something (a banner) before the probe reports it without one. */
const BANNER_WAIT_MS = 500;
import { BoundedReader } from './reader';
import { contextWithExtraCa, readTlsInfo, type ExtraCa } from './tls-info';

export interface AttemptInput {
  monitor: ResolvedMonitor;
  address: string;
  family: 4 | 6;
  /** Absolute time (ms) by which the attempt ends, whatever phase it is in. */
  endAt: number;
  now: () => number;
  ca?: ExtraCa;
  signal?: AbortSignal;
}

type AttemptTimings = Omit<PhaseTimings, 'dnsMs' | 'totalMs'> & { attemptMs: number };

export type AttemptResult =
  | ({ ok: true; portOpen: boolean; timings: AttemptTimings; tls?: TlsInfo } & PresetResult)
  | { ok: false; failure: ProbeFailure; portOpen: boolean; timings: AttemptTimings; tls?: TlsInfo };

const noop = () => undefined;

export function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  return new Attempt(input).run();
}

class Attempt implements PresetDialog {
  private readonly monitor: ResolvedMonitor;
  private readonly where: string;
  /** The monitor's send, whole and by line: never quoted back from a reply. */
  private readonly secrets: string[];
  private phase: Phase = 'connect';
  private socket: Socket | undefined;
  private secureSocket: TLSSocket | undefined;
  private reader: BoundedReader | undefined;
  private tls: TlsInfo | undefined;
  private readonly timings: Omit<AttemptTimings, 'attemptMs'> = {};
  private dialogStartedAt: number | undefined;
  /** First byte seen before a STARTTLS upgrade replaced the reader (the greeting). */
  private firstByteBeforeUpgrade: number | undefined;

  constructor(private readonly input: AttemptInput) {
    this.monitor = input.monitor;
    this.where = hostPort(input.address, input.monitor.port);
    this.secrets = replySecrets(input.monitor.send);
  }

  /** A reply as evidence shows it: printable, bounded, the monitor's send redacted. */
  private shown(data: Buffer | string): string {
    return shownReply(data, this.secrets);
  }

  async run(): Promise<AttemptResult> {
    const { now } = this.input;
    const startedAt = now();
    let connected = false;
    const timings = (): AttemptTimings => {
      const firstByteAt = this.firstByteBeforeUpgrade ?? this.reader?.firstByteAt;
      if (firstByteAt !== undefined && this.dialogStartedAt !== undefined && firstByteAt >= this.dialogStartedAt) {
        this.timings.firstByteMs = firstByteAt - this.dialogStartedAt;
      }
      return { ...this.timings, attemptMs: now() - startedAt };
    };
    try {
      // An aborted round opens no new sockets.
      if (this.input.signal?.aborted) throw new ProbeFailure('timeout', 'connect', 'ABORTED', `${this.where}: probe aborted before connecting`);
      await this.within('connect', this.connect());
      connected = true;
      this.timings.connectMs = now() - startedAt;
      if (this.monitor.exposure === 'private') throw new ProbeFailure('protocol', 'connect', OPEN_CODE, openPortMessage(this.where, await this.firstWords()));
      if (this.monitor.expectClosed) {
        throw new ProbeFailure('protocol', 'connect', 'EXPECTED_CLOSED',
          `${this.where} accepted a connection, but the monitor expects the port closed (close the port or firewall it, or drop expectClosed)`);
      }
      const direct = this.monitor.tls !== undefined && this.monitor.starttls === undefined;
      if (direct) await this.startTls();
      this.dialogStartedAt = now();
      const learned = await this.dialog(direct);
      const result: AttemptResult = { ok: true, portOpen: true, timings: timings(), ...learned };
      if (this.tls) result.tls = this.tls;
      return result;
    } catch (error) {
      const failure = toFailure(error, this.phase, this.where);
      if (this.monitor.expectClosed && !connected && (failure.errorClass === 'refused' || failure.errorClass === 'timeout') && failure.code !== 'ABORTED') {
        return { ok: true, portOpen: false, timings: timings() };
      }
      const result: AttemptResult = { ok: false, failure, portOpen: connected, timings: timings() };
      if (this.tls) result.tls = this.tls;
      return result;
    } finally {
      await this.close();
    }
  }

  private async dialog(secure: boolean): Promise<PresetResult> {
    const m = this.monitor;
    let learned: PresetResult = {};
    // STARTTLS without a preset still needs that protocol's upgrade dialog.
    const preset = presetFor(m.preset ?? m.starttls);
    if (preset) learned = await preset.run(this, { monitor: m, starttls: m.starttls !== undefined, secure });
    if (m.send !== undefined || m.expect !== undefined) learned = { ...learned, ...(await exchange(this, m)) };
    return learned;
  }

  // ---- the dialog presets talk through -------------------------------------------------------------

  async readLine(): Promise<string> {
    const line = await this.read((b) => {
      const i = b.indexOf(0x0a);
      return i < 0 ? undefined : i + 1;
    }, 'line ending in \\n');
    return line.toString('utf8').replace(/\r?\n$/, '');
  }

  readBytes(n: number): Promise<Buffer> {
    return this.read((b) => (b.length >= n ? n : undefined), `reply of ${n} bytes`);
  }

  readUntil(complete: (buffered: Buffer) => number | undefined, what: string): Promise<Buffer> {
    return this.read(complete, what);
  }

  readRest(): Promise<Buffer> {
    return this.read(() => undefined, 'rest of the reply', true);
  }

  write(data: string | Buffer): Promise<void> {
    const stream = this.secureSocket ?? this.socket!;
    return this.within('send', new Promise<void>((resolve, reject) => {
      stream.write(data, (error) => (error ? reject(error) : resolve()));
    }));
  }

  async startTls(): Promise<void> {
    const { now, address, ca } = this.input;
    const m = this.monitor;
    const startedAt = now();
    this.phase = 'tls';
    if (this.dialogStartedAt !== undefined) this.firstByteBeforeUpgrade ??= this.reader!.firstByteAt;
    this.reader!.detach();
    const servername = m.tls?.servername ?? (isIP(m.host) ? undefined : m.host);
    const secureSocket = tlsConnect({
      socket: this.socket!,
      // No SNI for IP literals; the identity check then falls back to `host`, i.e. the IP SANs.
      ...(servername ? { servername } : {}),
      host: servername ?? address,
      // Verification is decided below, so the certificate details are read even when it fails.
      rejectUnauthorized: false,
      ...(ca ? { secureContext: contextWithExtraCa(ca) } : {}),
    });
    secureSocket.on('error', noop);
    this.secureSocket = secureSocket;
    this.reader = new BoundedReader(secureSocket, m.expectWithinBytes, now);
    await this.within('tls', new Promise<void>((resolve, reject) => {
      secureSocket.once('secureConnect', () => resolve());
      secureSocket.once('error', reject);
      secureSocket.once('close', () => reject(Object.assign(new Error('connection closed during the TLS handshake'), { code: 'ECONNRESET' })));
    }));
    this.timings.tlsMs = (this.timings.tlsMs ?? 0) + (now() - startedAt);
    this.tls = readTlsInfo(secureSocket, now());
    const verify = m.tls?.verify ?? true;
    if (verify && !secureSocket.authorized) {
      const code = String(secureSocket.authorizationError ?? 'CERT_UNTRUSTED');
      const fix = code === 'CERT_HAS_EXPIRED' ? 'renew the certificate'
        : code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'fix the certificate names or set tls.servername'
          : 'install a certificate from a trusted CA, or set tls.verify: false';
      throw new ProbeFailure('tls', 'tls', code, `certificate of ${this.where} failed verification: ${code} (${fix})`);
    }
    this.phase = 'expect';
  }

  fail(message: string, details: FailDetails = {}): never {
    throw new ProbeFailure('protocol', 'expect', details.code ?? 'UNEXPECTED_REPLY', `${this.where}: ${message}`,
      details.received === undefined ? undefined : this.shown(details.received), details.httpStatus);
  }

  // ---- machinery -----------------------------------------------------------------------------------

  /** What an exposed port says first (a banner), waited for briefly; undefined when it stays silent or closes. */
  private async firstWords(): Promise<string | undefined> {
    const { now, endAt, signal } = this.input;
    const ms = Math.max(0, Math.min(BANNER_WAIT_MS, endAt - now()));
    try {
      const got = await race(this.reader!.take((b) => (b.length > 0 ? Math.min(b.length, 64) : undefined)), ms,
        () => new ProbeFailure('timeout', 'expect', 'ETIMEDOUT', 'silent'), signal, () => new ProbeFailure('timeout', 'expect', 'ABORTED', 'aborted'));
      if (!('bytes' in got)) return undefined;
      const text = this.shown(got.bytes).split(/\\r|\\n|\r|\n/)[0]!.replace(/'/g, '’').trim();
      return text === '' ? undefined : text;
    } catch {
      return undefined;
    }
  }

  private connect(): Promise<void> {
    const socket = new Socket();
    socket.on('error', noop);
    this.socket = socket;
    this.reader = new BoundedReader(socket, this.monitor.expectWithinBytes, this.input.now);
    return new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      socket.connect({ host: this.input.address, port: this.monitor.port, family: this.input.family, noDelay: true });
    });
  }

  private async read(complete: (buffered: Buffer) => number | undefined, what: string, acceptEnd = false): Promise<Buffer> {
    const reader = this.reader!;
    let got: Awaited<ReturnType<BoundedReader['take']>>;
    try {
      got = await this.within('expect', reader.take(complete));
    } catch (error) {
      throw this.wrongAnswer(error, what);
    }
    if ('bytes' in got) return got.bytes;
    const { end, pending } = got;
    if (acceptEnd && (end.kind !== 'error' || pending.length > 0)) {
      const rest = await reader.take((b) => b.length);
      return 'bytes' in rest ? Buffer.from(rest.bytes) : Buffer.alloc(0);
    }
    if (end.kind === 'error') throw toFailure(end.error, 'expect', this.where);
    if (end.kind === 'full') {
      throw new ProbeFailure('protocol', 'expect', 'UNEXPECTED_REPLY',
        `${this.where}: no ${what} within the first ${reader.limit} bytes (raise expectWithinBytes if the reply is longer)`, this.shown(pending));
    }
    if (pending.length > 0) {
      throw new ProbeFailure('protocol', 'expect', 'UNEXPECTED_REPLY', `${this.where} closed the connection before sending a ${what}`, this.shown(pending));
    }
    throw new ProbeFailure('reset', 'expect', 'EOF', `${this.where} closed the connection without answering (the service may be refusing clients)`);
  }

  /**
   * The service answered, but not with `what`, by the deadline: that is a wrong answer (`protocol`), not no answer,
   * and the message quotes what came. An abort (the round ran out of time) stays a timeout: it cut the wait short.
   */
  private wrongAnswer(error: unknown, what: string): unknown {
    const received = this.reader?.peek();
    if (!(error instanceof ProbeFailure) || error.errorClass !== 'timeout' || error.code !== 'ETIMEDOUT' || !received || received.length === 0) return error;
    const shown = this.shown(received);
    const waited = /within (\d+) ms/.exec(error.message)?.[1];
    return new ProbeFailure('protocol', 'expect', 'UNEXPECTED_REPLY',
      `${this.where} answered "${shown}" (${received.length} bytes), but no ${what}${waited ? ` within ${waited} ms` : ''}`, shown);
  }

  /** Runs one phase's work under that phase's deadline, capped by the attempt's end. */
  private within<T>(phase: Phase, work: Promise<T>): Promise<T> {
    this.phase = phase;
    const { now, endAt, signal } = this.input;
    const timeouts = this.monitor.timeoutMs;
    const limit = phase === 'send' ? timeouts.expect : timeouts[phase];
    const ms = Math.max(0, Math.min(limit, endAt - now()));
    const pending = () => {
      const buffered = this.reader?.peek();
      return buffered && buffered.length > 0 ? this.shown(buffered) : undefined;
    };
    return race(work, ms,
      () => timeoutFailure(phase, this.where, Math.round(ms), 'ETIMEDOUT', pending()),
      signal,
      () => new ProbeFailure('timeout', phase, 'ABORTED', `${this.where}: probe aborted during ${phase} (the round ran out of time)`));
  }

  private async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.secureSocket?.destroy();
    if (socket.closed) return;
    // Waiting for 'close' means the descriptor is really gone before the socket slot is handed on.
    await new Promise<void>((resolve) => {
      const safety = setTimeout(resolve, 1000);
      safety.unref();
      socket.once('close', () => {
        clearTimeout(safety);
        resolve();
      });
      socket.destroy();
    });
  }
}
