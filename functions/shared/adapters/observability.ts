// Logging and metrics seams: Powertools Logger (JSON lines) and Metrics (EMF) in Lambda, anything shaped alike in tests.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A bounded set of metric names; never one per monitor (CloudWatch bills each). */
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

export function createMetrics(serviceName: string, dimensions: Record<string, string> = {}): MetricSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, defaultDimensions: dimensions });
  return {
    count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
    flush: () => metrics.publishStoredMetrics(),
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
