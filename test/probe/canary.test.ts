// The canary each region probes: its own region's endpoint when the host names `{region}`.
import { describe, expect, it } from 'vitest';
import { canaryMonitor, CANARY_ID } from '../../functions/probe/handler';
import { resolveFleet } from '../../functions/shared/domain';

describe('canaryMonitor', () => {
  const fleet = resolveFleet({
    regions: ['eu-west-1', 'us-east-1'],
    canary: { host: 'dynamodb.{region}.amazonaws.com', port: 443 },
    monitors: [{ id: 'web', host: 'web.example.internal', port: 443 }],
  });

  it('puts the probing region into a {region} host, so every region checks a nearby endpoint', () => {
    expect(canaryMonitor(fleet.canary!, 'eu-west-1')).toMatchObject({ id: CANARY_ID, host: 'dynamodb.eu-west-1.amazonaws.com', port: 443, regions: ['eu-west-1'] });
    expect(canaryMonitor(fleet.canary!, 'us-east-1').host).toBe('dynamodb.us-east-1.amazonaws.com');
  });

  it('leaves a plain host as it is, with the canary timeout on every phase', () => {
    const m = canaryMonitor({ host: '127.0.0.1', port: 9, timeoutMs: 1200 }, 'eu-west-1');
    expect(m.host).toBe('127.0.0.1');
    expect(m.timeoutMs).toEqual({ dns: 1200, connect: 1200, tls: 1200, expect: 1200, total: 1200 });
  });
});
