// Loading fleet.json and overlaying the deploy-time addresses of construct targets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleetConfig } from '../../functions/shared/adapters/fleet-config';
import { ConfigError, resolveFleet } from '../../functions/shared/domain';

const dir = mkdtempSync(join(tmpdir(), 'pq-fleet-'));
const file = join(dir, 'fleet.json');
writeFileSync(file, JSON.stringify(resolveFleet({
  regions: ['us-east-1'],
  monitors: [
    { id: 'orders-db', host: 'deploy-time-target.portquorum.invalid', port: 5432 },
    { id: 'web', host: 'web.internal', port: 443 },
  ],
})));

describe('loadFleetConfig', () => {
  it('reads fleet.json unchanged when no deploy-time targets are set', () => {
    const config = loadFleetConfig(file, undefined);
    expect(config.monitors.map((m) => `${m.id} ${m.host}:${m.port}`)).toEqual(['orders-db deploy-time-target.portquorum.invalid:5432', 'web web.internal:443']);
  });

  it('overlays deploy-time hosts and ports, ports given as strings too', () => {
    const config = loadFleetConfig(file, JSON.stringify({ 'orders-db': { host: 'orders.abc123.us-east-1.rds.amazonaws.com', port: '5433' } }));
    expect(config.monitors.map((m) => `${m.id} ${m.host}:${m.port}`)).toEqual(['orders-db orders.abc123.us-east-1.rds.amazonaws.com:5433', 'web web.internal:443']);
  });

  it('names the monitor when a deploy-time value is wrong or unknown', () => {
    expect(() => loadFleetConfig(file, JSON.stringify({ 'orders-db': { port: 'x' }, ghost: { host: 'h' } }))).toThrowError(ConfigError);
    try {
      loadFleetConfig(file, JSON.stringify({ 'orders-db': { port: 'x' }, ghost: { host: 'h' } }));
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.message)).toEqual([
        "Monitor 'orders-db': deploy-time port \"x\" from PORTQUORUM_TARGETS is not a TCP port (check the target construct's port)",
        "Monitor 'ghost': PORTQUORUM_TARGETS names a monitor that fleet.json does not have (redeploy so config and functions match)",
      ]);
    }
  });

  it('says where to look when fleet.json is missing or from another version', () => {
    expect(() => loadFleetConfig(join(dir, 'nope.json'), undefined)).toThrowError(/Cannot read the fleet config .*nope\.json.*ship fleet\.json beside index\.mjs/);
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ schemaVersion: 0, monitors: [] }));
    expect(() => loadFleetConfig(old, undefined)).toThrowError('has schemaVersion 0, this code reads 1 (redeploy so config and functions match)');
  });
});
