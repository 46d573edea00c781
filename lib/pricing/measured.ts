// What `npm run bench` measured, as written to docs/benchmarks.json: the figures `portquorum cost` and the README use.
// Pure data and a parser (no I/O): the bench writes the file, the CLI reads it.

export const MEASURED_SCHEMA_VERSION = 1;

/** A figure as min / median / max over the bench's runs. */
export interface MeasuredSpread {
  min: number;
  median: number;
  max: number;
  runs: number;
}

/** Figures by bench section; every one is optional (a section that did not run leaves its figures out). */
export interface MeasuredFigures {
  /** Section `probe`: probes per CPU-second of our engine vs blackbox_exporter, lowest ratio over the cells. */
  probeVsBlackboxPerCoreMin?: number;
  /** Section `capacity`: wall time of one region's round of healthy loopback monitors, by monitor count. */
  probeRoundMs?: Array<{ monitors: number; ms: MeasuredSpread }>;
  /** Section `capacity`: the largest loopback round that completes within 5 s under the socket cap and a 256 MB heap. */
  roundCapacity5s?: { monitors: number; maxSockets: number; heapLimitMb: number };
  /** Section `capacity`: memory a monitor costs in a round (heap and RSS growth per monitor). */
  bytesPerMonitor?: { heap: number; rss: number };
  /**
   * Section `scale`: the largest healthy loopback round one probe invocation completes within its round budget at an
   * interval, in a cgroup whose CPU quota is the share Lambda gives that memory setting (`bracketed`: a failing size
   * above was found; otherwise a lower bound; `pacedByMachine`: the child got well under its quota, the machine's load
   * set the pace, a lower bound too).
   */
  probeShareCapacity?: Array<{ memoryMb: number; cpuShare: number; intervalSeconds: number; monitors: number; bracketed: boolean; pacedByMachine?: boolean }>;
  /**
   * Section `scale`: wall time of a probe round (and of encoding its items) under that CPU quota, by memory setting
   * and monitor count. Recorded, not billed: the cost model divides `probeRoundMs` by the share (see docs/cost.md).
   */
  probeShareRoundMs?: Array<{ memoryMb: number; monitors: number; ms: MeasuredSpread; encodeMs: number }>;
  /** Section `aggregator`: aggregator handler wall time per region-round item it is handed, by monitors in the item. */
  aggregatorMsPerItem?: Array<{ monitors: number; regions: number; ms: MeasuredSpread }>;
  /** Section `aggregator`: monitor results per second through the real stream on DynamoDB Local. */
  aggregatorResultsPerSecond?: MeasuredSpread;
  /**
   * Section `aggregator`: DynamoDB requests and capacity units one round costs (every region's probe writes, the
   * aggregator's reads and writes, one sweep), by monitor count, counted at the SDK.
   */
  dynamoPerRound?: Array<{
    monitors: number;
    regions: number;
    writeRequests: number;
    writeUnits: number;
    readRequests: number;
    readUnits: number;
  }>;
  /** Section `detection`: ms from the fault to the DOWN alert, and from the repair to the UP alert. */
  detection?: Array<{ fault: 'refused' | 'blackhole'; intervalSeconds: number; down: { p50: number; p95: number; trials: number }; up: { p50: number; p95: number; trials: number } }>;
  /** Section `coldstart`: bundle bytes (index.mjs) and cold import ms of each function bundle. */
  bundles?: Array<{ function: 'probe' | 'aggregate' | 'sweeper'; bytes: number; coldImportMs: MeasuredSpread }>;
  /** Section `synth`: synth seconds and the largest template's bytes, by monitor count. */
  synth?: Array<{ monitors: number; seconds: MeasuredSpread; largestTemplateBytes: number }>;
  /**
   * Section `scale` (test/bench/scale/pipeline.ts): one fleet of `monitors` × `regions` at `intervalSeconds` through
   * DynamoDB Local's real stream, round items written by the probe shards. Times in ms; units as DynamoDB Local reports them.
   */
  scalePipeline?: {
    monitors: number;
    regions: number;
    intervalSeconds: number;
    probeShardsPerRegion: number;
    /** Aggregator handler time summed over a steady round's invocations (states cached), and as a share of the interval. */
    aggregatorMsPerRound: number;
    aggregatorShareOfInterval: number;
    /** One sweeper pass in a steady round. */
    sweepMs: number;
    /** The largest item any function wrote (round, state, fleet, generation, incident book, history). */
    largestItemBytes: number;
    /** A steady round: every region's probe writes, the aggregator, one sweep. */
    writeUnitsPerRound: number;
    readUnitsPerRound: number;
    /** The busiest partition key in the model: its units over the time its requests took (at least 1 s). */
    maxKeyWcuPerSecond: number;
    maxKeyRcuPerSecond: number;
    /**
     * `monitorsDown` refused in every region: the round the quorum reaches DOWN, from the first round item write to the
     * last publish; alerts published (SNS entries), monitors they cover (own DOWN or an incident's down count), doubled.
     */
    wideOutage: { monitorsDown: number; msToLastPublish: number; alerts: number; monitorsCovered: number; doubled: number; writeUnits: number };
    /** The bench process's peak RSS while the aggregator and the sweeper ran. */
    peakRssBytes: number;
    /** Heap growth per monitor once the aggregator holds every state (after GC). */
    stateBytesPerMonitor: number;
    /**
     * Each function's own peak RSS at this size, in a process of its own with its heap limited to its memorySize
     * (aggregator and sweeper: rounds of the whole fleet, the first reading every state; probe: one shard).
     */
    functionMemory?: Array<{ kind: 'aggregator' | 'sweeper' | 'probe'; memoryMb: number; peakRssBytes: number }>;
  };
}

interface MeasuredSection {
  /** Markdown for docs/benchmarks.md, starting with a `## ` heading. */
  markdown: string;
  measuredAt: string;
  mode: 'quick' | 'full';
  commit: string;
}

export interface MeasuredFile {
  schemaVersion: typeof MEASURED_SCHEMA_VERSION;
  /** Machine and tool versions of the latest run (sections keep their own date and commit). */
  machine: Record<string, string>;
  /** By section name, in the order the bench runs them. */
  sections: Record<string, MeasuredSection>;
  figures: MeasuredFigures;
}

/** Parses docs/benchmarks.json; throws an Error naming what is wrong (callers decide whether that is fatal). */
export function parseMeasured(text: string, where = 'docs/benchmarks.json'): MeasuredFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not valid JSON: ${(error as Error).message} (run npm run bench again)`);
  }
  const file = value as Partial<MeasuredFile> | null;
  if (file === null || typeof file !== 'object' || file.schemaVersion !== MEASURED_SCHEMA_VERSION) {
    throw new Error(`${where} has schemaVersion ${JSON.stringify(file?.schemaVersion)}, this code reads ${MEASURED_SCHEMA_VERSION} (run npm run bench again)`);
  }
  if (typeof file.figures !== 'object' || file.figures === null || typeof file.sections !== 'object' || file.sections === null) {
    throw new Error(`${where} lacks figures or sections (run npm run bench again)`);
  }
  return { schemaVersion: MEASURED_SCHEMA_VERSION, machine: file.machine ?? {}, sections: file.sections, figures: file.figures };
}
