// The embedded-metric-format metrics the functions emit (names, dimensions) and the metrics the dashboard and ProbeFleet read.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** Namespace of every portquorum metric (functions/shared/adapters/observability.ts emits into it). */
export const METRICS_NAMESPACE = 'portquorum';

/** Service names: Powertools adds each as the `service` dimension of the function's metrics. */
export const SERVICES = { probe: 'portquorum-probe', aggregate: 'portquorum-aggregate', sweeper: 'portquorum-sweeper' } as const;

/**
 * Metric names the handlers emit (all Count). Probe metrics carry { service, region }; aggregator and sweeper
 * metrics carry { service } only. None has a monitor dimension, so the metric count does not grow with monitors.
 *
 * Emission is sparse (functions/shared/adapters/observability.ts), because CloudWatch bills a custom metric for every
 * hour it receives data: only `probe.probesDown` is sent on every invocation (zero included); the other counters are
 * sent only when non-zero, so a gap means zero and alarms on them should treat missing data as not breaching.
 * `probe.rounds`, `probe.roundWrites`, `aggregate.streamRecords` and `aggregate.monitorsEvaluated` are not sent as
 * metrics at all: the functions' summary log lines carry them (query them with Logs Insights).
 */
export const METRIC_NAMES = {
  probe: { rounds: 'Rounds', roundFailures: 'RoundFailures', probesDown: 'ProbesDown', roundWrites: 'RoundWrites', canaryDown: 'CanaryDown' },
  aggregate: {
    streamRecords: 'StreamRecords', recordFailures: 'RecordFailures', monitorsEvaluated: 'MonitorsEvaluated',
    transitions: 'Transitions', alertsPublished: 'AlertsPublished', publishFailures: 'PublishFailures',
  },
  sweeper: {
    republished: 'Republished', publishFailures: 'PublishFailures', transitions: 'Transitions',
    silentProbes: 'SilentProbes', vetoedProbes: 'VetoedProbes', unknownMonitors: 'UnknownMonitors',
  },
} as const;

/** A probe metric of one region, read from the home region (dashboards may show other regions' metrics). */
export function probeMetric(name: string, region: string, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICES.probe, region },
    region,
    statistic,
    period: Duration.minutes(1),
    label: label ?? region,
  });
}

/** A metric of the aggregator or the sweeper. */
export function fleetMetric(name: string, service: string, statistic: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service },
    statistic,
    period: Duration.minutes(1),
    ...options,
  });
}

/** Lambda's own metric of a function known by its fixed name in another region (no cross-region reference). */
export function lambdaMetricByName(metricName: string, functionName: string, region: string, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: functionName },
    region,
    statistic,
    period: Duration.minutes(1),
    label: label ?? region,
  });
}

/** Fixed name of a probe function: regional names may repeat, and the home dashboard finds them by name. */
export function probeFunctionName(namePrefix: string, group?: string): string {
  return group === undefined ? `${namePrefix}-probe` : `${namePrefix}-probe-${group}`;
}
