// The embedded-metric-format metrics the functions emit and the dashboard and alarms read: names, units, dimensions.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * Namespace of every portquorum metric. The stacks set POWERTOOLS_METRICS_NAMESPACE to it and
 * POWERTOOLS_SERVICE_NAME to the function's service, so Powertools' `new Metrics()` needs no arguments.
 */
export const METRICS_NAMESPACE = 'portquorum';

/** Service names (the `service` dimension Powertools adds to every metric). */
export const SERVICES = { probe: 'probe', aggregate: 'aggregate', sweeper: 'sweeper' } as const;

/**
 * Metric names. Probe metrics carry the dimensions { service: 'probe', region } (and no monitor dimension, so the
 * metric count does not grow with monitors); fleet metrics carry { service: 'aggregate' } or { service: 'sweeper' }.
 */
export const METRIC_NAMES = {
  /** Probe, per round: wall time of the round (Milliseconds). */
  roundDuration: 'RoundDuration',
  /** Probe, per round: mean TCP connect time of the round's up results (Milliseconds). */
  connectTime: 'ConnectTime',
  /** Probe, per round: results that were up (Count). */
  resultsUp: 'ResultsUp',
  /** Probe, per round: results that were down (Count). */
  resultsDown: 'ResultsDown',
  /** Aggregator: monitors whose verdict is DOWN after the batch (Count). */
  monitorsDown: 'MonitorsDown',
  /** Aggregator: alerts published (Count). */
  alertsPublished: 'AlertsPublished',
  /** Sweeper: regions whose latest round is older than the staleness window (Count). */
  silentRegions: 'SilentRegions',
} as const;

/** A probe metric of one region, read from the home region's dashboard. */
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

/** A fleet-wide metric emitted by the aggregator or the sweeper. */
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
