// The example fleet: monitors as code. The CDK app (bin/app.ts) deploys it; the CLI (`portquorum check|test|local|cost`) reads it.
import type { FleetSpec } from '../functions/shared/domain';

/**
 * The fleet declaration. Its hosts are placeholders (names under example.com and example.internal, which resolve
 * nowhere): replace them with your own targets, or keep this file and give `portquorum test --config FILE` yours.
 */
export const fleet: FleetSpec = {
  homeRegion: 'eu-west-1',
  regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'],
  // Each region's own DynamoDB endpoint: a region that cannot reach it has a broken network, and its downs are vetoed.
  canary: { host: 'dynamodb.{region}.amazonaws.com', port: 443 },
  monitorDefaults: { tags: { team: 'platform' } },
  monitors: [
    { id: 'orders-db', host: 'orders.example.internal', port: 5432, preset: 'postgres', quorum: 2 },
    { id: 'orders-cache', host: 'cache.orders.example.internal', port: 6379, preset: 'redis', severity: 'error' },
    { id: 'smtp', host: 'mail.example.com', port: 25, preset: 'smtp', starttls: 'smtp', tls: { minDaysValid: 14 } },
    { id: 'www', host: 'www.example.com', port: 443, preset: 'http', tls: true, http: { path: '/healthz' } },
    { id: 'bastion-ssh', host: 'bastion.example.com', port: 22, preset: 'ssh', severity: 'warning', failureThreshold: 3 },
  ],
};

