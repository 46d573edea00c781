// Logging and metrics seams: Powertools Logger (JSON lines) and Metrics (EMF) in Lambda, anything shaped alike in tests.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ALWAYS_EMITTED_METRICS, LOG_ONLY_COUNTS, METRIC_NAMES, METRICS_NAMESPACE, type FunctionKind, type MetricName } from '../deployment';

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A bounded set of metric names (METRIC_NAMES); never one per monitor (CloudWatch bills each metric for the hours it gets data). */
export interface MetricSink {
  count(name: MetricName, value: number): void;
  /** Emits what was collected (one EMF line). */
  flush(): void;
}

export function createLog(serviceName: string): Log {
  const logger = new Logger({ serviceName });
  type Attributes = Parameters<Logger['appendKeys']>[0];
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, extra?: Record<string, unknown>) =>
    extra === undefined ? logger[level](message) : logger[level](message, extra as Attributes);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

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
    flush: () => {
      if (pending === 0) return;
      pending = 0;
      metrics.publishStoredMetrics();
    },
  };
}

/** Counts every metric of one function's invocation (a missing one is a type error), then flushes them. */
export function emitCounts<K extends FunctionKind>(sink: MetricSink, kind: K, counts: Record<keyof (typeof METRIC_NAMES)[K], number>): void {
  const names: Record<string, MetricName> = METRIC_NAMES[kind];
  for (const [key, value] of Object.entries<number>(counts)) sink.count(names[key]!, value);
  sink.flush();
}

/** Collects metrics in memory (tests, the local fleet). */
export function memoryMetrics(): MetricSink & { values: Partial<Record<MetricName, number>> } {
  const values: Partial<Record<MetricName, number>> = {};
  const add = (name: MetricName, value: number): void => {
    values[name] = (values[name] ?? 0) + value;
  };
  return { values, count: add, flush: () => {} };
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
