// Round records: what one region saw in one round, and their compact, versioned encoding as table items.
// zlib is pure computation (no I/O): deflating the results is part of the encoding, so it lives with the codec.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ERROR_CLASSES, PHASES, type ErrorClass, type Phase } from './constants';
import type { ProbeOutcome } from './outcome';
import { TABLE_SCHEMA } from './table';
import { MAX_VIEW } from './view';

/**
 * 3: one partition per region, probe group and round (`round#<region>#<group or ->#<epoch s>`, sort key the shard), so
 * each probe's role can be limited to its own partitions. Versions 1 and 2 (one partition per round instant, results
 * deflated into `rz` from 2 on) are the layout before; their items are not read (see isOlderRoundLayout).
 */
const ROUND_SCHEMA_VERSION = 3;
const READABLE_VERSIONS: readonly number[] = [3];
const OLDER_LAYOUT_VERSIONS: readonly number[] = [1, 2];

/** One monitor's outcome in one region's round, reduced to what the verdict and the alert need. */
export type RoundResult =
  | {
      status: 'up';
      connectMs?: number;
      totalMs: number;
      certDays?: number;
      /** What the region saw (domain/view.ts), only in the round where it changed: a few bytes per monitor, rarely. */
      view?: string;
    }
  | {
      status: 'down';
      errorClass: ErrorClass;
      phase: Phase;
      connectMs?: number;
      totalMs: number;
      certDays?: number;
      /** The raw error code (ECONNREFUSED …). */
      code: string;
      message: string;
    };

/** The region's canary in that round; `none` when the fleet has no canary (or the probe group skips it). */
export type CanaryResult = { status: 'none' } | RoundResult;

/** One region's (and probe group's) results for one round instant: one shard of them. */
export interface RoundRecord {
  schemaVersion: number;
  /** Epoch ms the round started (a multiple of 1000). */
  instant: number;
  region: string;
  /** The probe group (VPC probes); absent for the public probes. */
  group?: string;
  /** The probe shard that wrote it (one of several scheduled invocations of the probe function); absent: shard 0. */
  probeShard?: number;
  /** Which item of the probe shard's round this is (a large round is split into items of bounded size), of how many. */
  shard: number;
  shards: number;
  /** Epoch ms the region finished the round. */
  probedAt: number;
  canary: CanaryResult;
  results: Record<string, RoundResult>;
}

/** The item a round record is stored as (before DynamoDB marshalling). */
export interface RoundItem {
  pk: string;
  sk: string;
  kind: typeof TABLE_SCHEMA.roundItemKind;
  v: number;
  region: string;
  grp?: string;
  round: number;
  /** The probe shard (absent: 0). */
  ps?: number;
  shard: number;
  shards: number;
  at: number;
  /** The canary's encoded result; absent when there is none. */
  can?: string;
  /** Every monitor's encoded result: `id\tfields…` lines (small rounds). */
  r?: string;
  /** The same lines, raw-deflated (larger rounds): DynamoDB bills writes per KB and reads per 4 KB. */
  rz?: Uint8Array;
  ttl: number;
}

/** An item that is not a round record this code can read. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
}

/** Items live two days: long enough for the sweeper and an investigation, short enough to cost nothing. */
export const ROUND_TTL_SECONDS = 2 * 86_400;
/** A shard stays far under DynamoDB's 400 KB item limit (and bills fewer write units per retry). */
export const MAX_SHARD_BYTES = 64_000;
/**
 * Results text above this is stored deflated. Below it the item fits one write unit anyway. Results text of many
 * monitors deflates 3–4× (ids share prefixes, up results share their shape), and so do the bills for it.
 */
export const COMPRESS_ABOVE_BYTES = 700;
/** Inflating stops here: a corrupt or hostile item cannot make the aggregator allocate without bound. */
const MAX_INFLATED_BYTES = 4 * MAX_SHARD_BYTES;
const MAX_MESSAGE = 160;
const utf8 = new TextEncoder();
const MAX_CODE = 40;

/** Where one region's (and probe group's) rounds are written: the probe of that region and group, and nothing else. */
export interface RoundPartition {
  region: string;
  /** The probe group; absent for the public probes. */
  group?: string;
}

/** The leading part of every round partition key of one probe (region and group): what its IAM role may write. */
export function roundPartitionPrefix(partition: RoundPartition): string {
  // Region names are AWS region names and group names start with a letter or digit: neither holds '#', and no group
  // is called '-', so the prefix of one probe never starts another's.
  return `round#${partition.region}#${partition.group ?? '-'}#`;
}

/**
 * The IAM `dynamodb:LeadingKeys` pattern (StringLike) of one probe's partitions: its prefix and `*`. Neither region
 * nor group names can hold StringLike's wildcards (`*`, `?`).
 */
export function roundKeyPattern(partition: RoundPartition): string {
  return `${roundPartitionPrefix(partition)}*`;
}

/** The partition key of one probe's round: `round#<region>#<group or ->#<epoch s>`. */
export function roundPk(partition: RoundPartition, instantMs: number): string {
  return `${roundPartitionPrefix(partition)}${instantMs / 1000}`;
}

/**
 * The sort key: the item's index, after its probe shard's when there are several (`<probe shard>.<item>`), so every
 * probe shard of a region writes its own items into the region's one partition of the round.
 */
function roundSk(shard: number, probeShard: number | undefined): string {
  return probeShard ? `${probeShard}.${shard}` : String(shard);
}

/** Every probe's round partition in a fleet: the public probes in each fleet region, each group in its regions. */
export function roundPartitions(fleet: { regions: readonly string[]; groups: Readonly<Record<string, { regions: readonly string[] }>> }): RoundPartition[] {
  return [
    ...fleet.regions.map((region) => ({ region })),
    ...Object.entries(fleet.groups).flatMap(([group, { regions }]) => regions.map((region) => ({ region, group }))),
  ];
}

/** An item of the round layout before version 3 (one partition per round instant), which no reader queries any more. */
export function isOlderRoundLayout(item: Record<string, unknown>): boolean {
  return item.kind === TABLE_SCHEMA.roundItemKind && typeof item.v === 'number' && OLDER_LAYOUT_VERSIONS.includes(item.v);
}

/** Reduces a probe outcome to its compact round result. */
export function toRoundResult(outcome: ProbeOutcome): RoundResult {
  const certDays = outcome.tls?.daysLeft;
  const base = {
    ...(outcome.timings.connectMs !== undefined ? { connectMs: Math.round(outcome.timings.connectMs) } : {}),
    totalMs: Math.round(outcome.timings.totalMs),
    ...(certDays !== undefined ? { certDays } : {}),
  };
  if (outcome.ok) return { status: 'up', ...base };
  return { status: 'down', ...base, errorClass: outcome.errorClass, phase: outcome.phase, code: outcome.code, message: outcome.message };
}

/** Splits a region's round into shard items of bounded size; writes grow with shards, never with monitors. */
export function encodeRoundItems(
  round: Omit<RoundRecord, 'shard' | 'shards' | 'schemaVersion'>,
  options: { maxShardBytes?: number; ttlSeconds?: number } = {},
): RoundItem[] {
  if (round.instant % 1000 !== 0) throw new RecordError(`round instant ${round.instant} is not a whole second`);
  const maxBytes = options.maxShardBytes ?? MAX_SHARD_BYTES;
  const chunks: string[][] = [[]];
  let size = 0;
  for (const [id, result] of Object.entries(round.results)) {
    const line = `${id}\t${encodeResult(result)}`;
    const bytes = utf8.encode(line).length + 1;
    if (size + bytes > maxBytes && chunks[chunks.length - 1]!.length > 0) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1]!.push(line);
    size += bytes;
  }
  const ttl = Math.floor(round.instant / 1000) + (options.ttlSeconds ?? ROUND_TTL_SECONDS);
  return chunks.map((lines, shard) => {
    const text = lines.join('\n');
    const results = utf8.encode(text).length > COMPRESS_ABOVE_BYTES ? { rz: new Uint8Array(deflateRawSync(text)) } : { r: text };
    return {
      pk: roundPk(round, round.instant),
      sk: roundSk(shard, round.probeShard),
      kind: TABLE_SCHEMA.roundItemKind,
      v: ROUND_SCHEMA_VERSION,
      region: round.region,
      ...(round.group !== undefined ? { grp: round.group } : {}),
      round: round.instant / 1000,
      ...(round.probeShard ? { ps: round.probeShard } : {}),
      shard,
      shards: chunks.length,
      at: round.probedAt,
      ...(round.canary.status !== 'none' ? { can: encodeResult(round.canary) } : {}),
      ...results,
      ttl,
    };
  });
}

/**
 * The results text of an item: `r`, or `rz` inflated. `rz` arrives as bytes from the SDK and as base64 in a Lambda
 * stream event (Lambda's JSON carries binary attributes that way).
 */
function resultsText(item: Record<string, unknown>, fail: (what: string) => never): string {
  if (item.rz === undefined) {
    if (typeof item.r !== 'string') fail('r (the results) is missing');
    return item.r as string;
  }
  const rz = item.rz;
  const bytes = typeof rz === 'string' ? Buffer.from(rz, 'base64') : rz instanceof Uint8Array ? rz : fail('rz (the deflated results) is neither bytes nor base64');
  try {
    return inflateRawSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (error) {
    return fail(`rz (the deflated results) does not inflate: ${(error as Error).message}`);
  }
}

/** Reads a stored round item back; throws RecordError naming what is wrong (and the item's key) otherwise. */
export function decodeRoundItem(item: Record<string, unknown>): RoundRecord {
  const where = `round item ${String(item.pk ?? '?')} / ${String(item.sk ?? '?')}`;
  const fail = (what: string): never => {
    throw new RecordError(`${where}: ${what}`);
  };
  if (item.kind !== TABLE_SCHEMA.roundItemKind) fail(`kind is ${JSON.stringify(item.kind)}, not '${TABLE_SCHEMA.roundItemKind}'`);
  if (isOlderRoundLayout(item)) {
    fail(`schema version ${String(item.v)} is the round layout before version 3 (one partition per round instant), which this aggregator no longer reads; deploy the same version to every region`);
  }
  if (typeof item.v !== 'number' || !READABLE_VERSIONS.includes(item.v)) {
    fail(`schema version ${JSON.stringify(item.v)} is not one this aggregator reads (${READABLE_VERSIONS.join(', ')}); deploy the same version to every region`);
  }
  const int = (name: string, min = 0): number => {
    const value = item[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(`${name} is ${JSON.stringify(value)}, not a whole number ≥ ${min}`);
    return value as number;
  };
  const str = (name: string): string => {
    const value = item[name];
    if (typeof value !== 'string' || value === '') fail(`${name} is ${JSON.stringify(value)}, not a non-empty string`);
    return value as string;
  };
  const region = str('region');
  const round = int('round');
  const probeShard = item.ps === undefined ? undefined : int('ps', 1);
  const shard = int('shard');
  const shards = int('shards', 1);
  if (shard >= shards) fail(`shard ${shard} is not below shards ${shards}`);
  const probedAt = int('at');
  const group = item.grp === undefined ? undefined : str('grp');
  // The key must say what the item says: a probe allowed to write only its own partitions cannot speak for another
  // region or group, nor for another round.
  const pk = roundPk({ region, ...(group !== undefined ? { group } : {}) }, round * 1000);
  if (item.pk !== pk) fail(`pk is not ${pk}, the partition of region ${region}, ${group === undefined ? 'the public probes' : `group ${group}`} and round ${round}`);
  if (item.sk !== roundSk(shard, probeShard)) fail(`sk is not '${roundSk(shard, probeShard)}', the key of item ${shard}${probeShard ? ` of probe shard ${probeShard}` : ''}`);
  const r = resultsText(item, fail);
  const results: Record<string, RoundResult> = {};
  if (r !== '') {
    // One line a monitor (100,000 a round at scale): no closure or array a line.
    for (let from = 0, index = 0; from <= r.length; index += 1) {
      const end = r.indexOf('\n', from);
      const to = end === -1 ? r.length : end;
      const tab = r.indexOf('\t', from);
      if (tab === -1 || tab >= to || tab === from) fail(`result line ${index + 1} has no monitor id`);
      const id = r.slice(from, tab);
      const decoded = readResult(r.slice(tab + 1, to));
      if (typeof decoded === 'string') fail(`result line ${index + 1} (${id}): ${decoded}`);
      results[id] = decoded as RoundResult;
      if (end === -1) break;
      from = end + 1;
    }
  }
  const canary: CanaryResult =
    item.can === undefined ? { status: 'none' } : decodeResult(String(item.can), (what) => fail(`canary: ${what}`));
  return {
    schemaVersion: item.v as number,
    instant: round * 1000,
    region,
    ...(group !== undefined ? { group } : {}),
    ...(probeShard !== undefined ? { probeShard } : {}),
    shard,
    shards,
    probedAt,
    canary,
    results,
  };
}

// Fields: status (u, or the error class index), connectMs, totalMs, certDays, then for ups the view when it changed,
// for downs: phase index, code, message.
export function encodeResult(result: RoundResult): string {
  const num = (n: number | undefined): string => (n === undefined ? '' : String(n));
  const head = [
    result.status === 'up' ? 'u' : String(ERROR_CLASSES.indexOf(result.errorClass)),
    num(result.connectMs),
    num(result.totalMs),
    num(result.certDays),
  ];
  if (result.status === 'up') return (result.view !== undefined ? [...head, clean(result.view, MAX_VIEW)] : head).join('\t');
  return [...head, String(PHASES.indexOf(result.phase)), clean(result.code, MAX_CODE), clean(result.message, MAX_MESSAGE)].join('\t');
}

export function decodeResult(text: string, fail: (what: string) => never): RoundResult {
  const decoded = readResult(text);
  return typeof decoded === 'string' ? fail(decoded) : decoded;
}

/**
 * An optional whole-number field: the number, undefined when empty or absent, or NaN when it is not a whole number.
 * (`Number(raw)` as the format always read it: surrounding spaces are tolerated.)
 */
function wholeField(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isInteger(value) ? value : Number.NaN;
}

/**
 * A result's fields decoded, or what is wrong with them (checked in this order: connectMs, totalMs, certDays, then the
 * status and its own fields). Runs once for every monitor in every round item read, so it allocates no closures.
 */
function readResult(text: string): RoundResult | string {
  const fields = text.split('\t');
  const connectMs = wholeField(fields[1]);
  if (Number.isNaN(connectMs)) return `connectMs '${fields[1]}' is not a whole number`;
  const totalMs = wholeField(fields[2]);
  if (totalMs === undefined) return 'totalMs is missing';
  if (Number.isNaN(totalMs)) return `totalMs '${fields[2]}' is not a whole number`;
  const certDays = wholeField(fields[3]);
  if (Number.isNaN(certDays)) return `certDays '${fields[3]}' is not a whole number`;
  if (fields[0] === 'u') {
    if (fields.length !== 4 && fields.length !== 5) return `an up result has ${fields.length} fields, not 4 (or 5 with a view)`;
    const up: RoundResult = { status: 'up', totalMs };
    if (connectMs !== undefined) up.connectMs = connectMs;
    if (certDays !== undefined) up.certDays = certDays;
    if (fields[4]) up.view = fields[4];
    return up;
  }
  const errorClass = ERROR_CLASSES[Number(fields[0])];
  if (fields[0] === '' || errorClass === undefined) return `status '${fields[0]}' is neither 'u' nor an error class index`;
  if (fields.length !== 7) return `a down result has ${fields.length} fields, not 7`;
  const phase = PHASES[Number(fields[4])];
  if (fields[4] === '' || phase === undefined) return `phase '${fields[4]}' is not a phase index`;
  // Keys in the order the format always gave them (status, errorClass, phase, totalMs, connectMs, certDays, code, message).
  const down: Record<string, unknown> = { status: 'down', errorClass, phase, totalMs };
  if (connectMs !== undefined) down.connectMs = connectMs;
  if (certDays !== undefined) down.certDays = certDays;
  down.code = fields[5];
  down.message = fields[6];
  return down as RoundResult;
}

/** Keeps the line format unambiguous (no tabs or newlines) and the item small. */
function clean(text: string, max: number): string {
  const flat = text.replace(/[\t\r\n]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The stored form of a result after a round trip (what decode returns for what encode was given). */
export function normalizeResult(result: RoundResult): RoundResult {
  if (result.status === 'up') return result.view !== undefined ? { ...result, view: clean(result.view, MAX_VIEW) } : result;
  return { ...result, code: clean(result.code, MAX_CODE), message: clean(result.message, MAX_MESSAGE) };
}
