// Public API of the CDK side of portquorum: the ProbeFleet construct, its stacks, declarations and the cost model.
export * from './probe-fleet';
export * from './declarations';
export * from './home-stack';
export * from './probe-stack';
export * from './targets';
export * from './metrics';
export { METRIC_NAMES, METRICS_NAMESPACE, SERVICES } from '../functions/shared/deployment';
export * from './cost';
export { prepareFleet, type FleetDeclaration, type PreparedFleet } from './fleet-validation';
export { FleetFunction, handlerEntry, writeFleetFile, BUNDLE_TARGET, EXTERNAL_MODULES, PROJECT_ROOT } from './function';
