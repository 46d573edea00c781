// One place knows a preset: each probe descriptor carries its row of the domain's preset table, and the STARTTLS
// dialects, the validator and the CLI's well-known ports all read that table.
import { describe, expect, it } from 'vitest';
import { PRESET_REGISTRY, presetFor } from '../../functions/probe/presets';
import { PRESETS, PRESET_TABLE, STARTTLS_PROTOCOLS, presetPort, resolveMonitor, starttlsOf, validateFleet } from '../../functions/shared/domain';
import { runCli } from '../support/cli';

describe('preset registry', () => {
  it('has one descriptor per preset of the table, each with its facts and a dialog', () => {
    expect(Object.keys(PRESET_REGISTRY)).toEqual([...PRESETS]);
    for (const name of PRESETS) {
      const preset = PRESET_REGISTRY[name];
      expect(preset).toMatchObject({ name, ...PRESET_TABLE[name] });
      expect(typeof preset.run).toBe('function');
    }
  });

  it('derives the STARTTLS dialects from the presets that have one, and finds the dialog by either name', () => {
    expect(STARTTLS_PROTOCOLS).toEqual(PRESETS.filter((name) => starttlsOf(name) !== undefined));
    for (const protocol of STARTTLS_PROTOCOLS) expect(presetFor(protocol)?.starttls).toBe(protocol);
  });

  it('the validator accepts starttls exactly on the presets whose descriptor says so', () => {
    for (const preset of PRESETS) {
      for (const starttls of STARTTLS_PROTOCOLS) {
        const problems = validateFleet({ regions: ['local'], monitors: [{ id: 'x', host: 'h.internal', port: 1, preset, starttls }] });
        expect(problems.length === 0, `${preset} + ${starttls}`).toBe(PRESET_REGISTRY[preset].starttls === starttls);
      }
    }
    expect(resolveMonitor({ id: 'x', host: 'h.internal', port: 1, preset: 'postgres', starttls: 'postgres' }).tls).toEqual({ verify: true, minDaysValid: 14 });
  });

  it('gives the CLI its well-known ports (https where TLS is on)', async () => {
    expect(presetPort('postgres', 'plain')).toBe(5432);
    expect(presetPort('http', 'tls')).toBe(443);
    expect(presetPort('smtp', 'tls')).toBe(25);
    const r = await runCli(['check', '127.0.0.1', '--preset', 'redis', '--json', '--retries', '0', '--timeout', '500']);
    expect(JSON.parse(r.stdout)).toMatchObject({ target: '127.0.0.1:6379', asked: { port: 6379, preset: 'redis' } });
  });
});
