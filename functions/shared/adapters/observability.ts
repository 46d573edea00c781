// Logging and metrics seams: Powertools Logger (JSON lines) and Metrics (EMF) in Lambda, anything shaped alike in tests.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A bounded set of metric names; never one per monitor (CloudWatch bills each metric for the hours it gets data). */
export interface MetricSink {
  count(name: string, value: number): void;
  milliseconds(name: string, value: number): void;
  /** Emits what was collected (one EMF line). */
  flush(): void;
}

export const METRICS_NAMESPACE = 'portquorum';

export function createLog(serviceName: string): Log {
  const logger = new Logger({ serviceName });
  type Attributes = Parameters<Logger['appendKeys']>[0];
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, extra?: Record<string, unknown>) =>
    extra === undefined ? logger[level](message) : logger[level](message, extra as Attributes);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Metric names emitted on every flush, zero or not: the per-region series the dashboard graphs and
 * ProbeFleet.metricProbesDown() reads, so "no down results" is a zero rather than a gap.
 */
export const ALWAYS_EMITTED_METRICS: readonly string[] = ['ProbesDown'];

/**
 * Volume counters kept out of CloudWatch metrics: nothing graphs or alarms on them, and each function's summary log
 * line already carries them for Logs Insights (`writes` and `status` per round, `records` and `evaluated` per batch).
 */
export const LOG_ONLY_COUNTS: readonly string[] = ['Rounds', 'RoundWrites', 'StreamRecords', 'MonitorsEvaluated'];

/**
 * EMF metrics through Powertools, emitted sparsely: CloudWatch bills a custom metric for every hour it receives a data
 * point, so event counters (failures, transitions, alerts, silent or vetoed regions) are sent only when non-zero, and
 * a missing point means zero. Alarms on them treat missing data as not breaching. A flush with nothing to send writes
 * nothing (no EMF line, no Powertools warning line).
 */
export function createMetrics(serviceName: string, dimensions: Record<string, string> = {}): MetricSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, defaultDimensions: dimensions });
  let pending = 0;
  return {
    count: (name, value) => {
      if (LOG_ONLY_COUNTS.includes(name)) return;
      if (value === 0 && !ALWAYS_EMITTED_METRICS.includes(name)) return;
      metrics.addMetric(name, MetricUnit.Count, value);
      pending += 1;
    },
    milliseconds: (name, value) => {
      metrics.addMetric(name, MetricUnit.Milliseconds, value);
      pending += 1;
    },
    flush: () => {
      if (pending === 0) return;
      pending = 0;
      metrics.publishStoredMetrics();
    },
  };
}

/** Collects metrics in memory (tests, the local fleet). */
export function memoryMetrics(): MetricSink & { values: Record<string, number> } {
  const values: Record<string, number> = {};
  const add = (name: string, value: number): void => {
    values[name] = (values[name] ?? 0) + value;
  };
  return { values, count: add, milliseconds: add, flush: () => {} };
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
