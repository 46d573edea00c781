// The public API of portquorum's CDK side: the ProbeFleet construct, the declarations a user writes, and what the
// construct exposes (its stacks, metric names, cost estimate, errors). Everything else under lib/ is internal.
export { ProbeFleet, type ProbeFleetProps } from './probe-fleet';
export type { ConstructTargetMonitor, FleetMonitor, ProbeGroupPlacement, ProbeGroupProps } from './declarations';
export type { TargetConstruct } from './targets';
export type { CanarySpec, FleetSpec, MonitorSpec } from '../functions/shared/domain';
export { HomeStack, type HomeStackProps, type ReservedConcurrency } from './home-stack';
export { ProbeStack, type ProbeFunctionSpec, type ProbeStackProps } from './probe-stack';
export { WatchdogStack, type ResolvedWatchdog, type WatchdogProps, type WatchdogStackProps } from './watchdog-stack';
export type { FleetFiles, FleetFunction } from './function';
export { METRIC_NAMES, METRICS_NAMESPACE, SERVICES, type MetricName } from '../functions/shared/deployment';
export type { CostBasis, CostEstimate, CostItem } from './pricing/cost';
export { ConfigError, PortquorumError, type ConfigProblem } from '../functions/shared/domain/errors';
