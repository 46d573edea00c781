// CloudWatch metrics of the fleet as the dashboard, the alarms and ProbeFleet read them (names in functions/shared/deployment.ts).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, SERVICES } from '../functions/shared/deployment';

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
