// The preset descriptor: what the domain's preset table knows (name, port, STARTTLS dialect) and the probe dialog, a
// short exchange over a bounded reader and a writer; the engine owns deadlines.
import { PRESET_TABLE, type PresetFacts, type PresetName, type ResolvedMonitor } from '../../shared/domain';

/** Extra evidence attached to a wrong answer. */
export interface FailDetails {
  /** What the server sent (rendered printable and truncated by the engine). */
  received?: Buffer | string;
  httpStatus?: number;
  /** @default 'UNEXPECTED_REPLY' */
  code?: string;
}

/**
 * What a preset talks through. Every read is bounded by the monitor's `expectWithinBytes` and by the
 * expect deadline; every write by the same deadline; a read that runs out of bytes or time ends the
 * probe (the engine turns it into `protocol` or `timeout`), so presets never check limits themselves.
 */
export interface PresetDialog {
  /** One line up to and including `\n`, returned without the line end. */
  readLine(): Promise<string>;
  /** Exactly `n` bytes. */
  readBytes(n: number): Promise<Buffer>;
  /** Bytes up to the length `complete` returns (undefined = need more); `what` names the awaited reply in errors. */
  readUntil(complete: (buffered: Buffer) => number | undefined, what: string): Promise<Buffer>;
  /** Whatever arrives until the server closes or the byte budget is full. */
  readRest(): Promise<Buffer>;
  write(data: string | Buffer): Promise<void>;
  /** Upgrades the connection to TLS (STARTTLS); certificate details land in the outcome. */
  startTls(): Promise<void>;
  /** Ends the probe as a wrong answer (`protocol`). */
  fail(message: string, details?: FailDetails): never;
}

interface PresetContext {
  monitor: ResolvedMonitor;
  /** Upgrade in-protocol before finishing (the monitor's starttls matches this preset). */
  starttls: boolean;
  /** The connection already speaks TLS (tls directly on the port). */
  secure: boolean;
}

/** What a preset learned about the service. */
export interface PresetResult {
  banner?: string;
  serverVersion?: string;
  httpStatus?: number;
}

/** One preset whole: its facts from the domain's table and its dialog. */
export interface Preset extends PresetFacts {
  name: PresetName;
  run(dialog: PresetDialog, context: PresetContext): Promise<PresetResult>;
}

/** A preset's name and its row of the domain's preset table, for its descriptor. */
export function presetFacts<N extends PresetName>(name: N): { name: N } & (typeof PRESET_TABLE)[N] {
  return { name, ...PRESET_TABLE[name] };
}
