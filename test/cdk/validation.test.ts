// Synth-time validation: each bad declaration under test/fixtures/cdk fails with exactly the message stored beside it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from 'aws-cdk-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/shared/domain';
import { ProbeFleet, type ProbeFleetProps } from '../../lib';
import { removeApp, testApp } from './support';

const FIXTURES = fileURLToPath(new URL('../fixtures/cdk/', import.meta.url));

interface Fixture {
  name: string;
  message: string;
  declare: (app: App) => ProbeFleetProps;
}

async function loadFixtures(): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  for (const file of readdirSync(FIXTURES).sort()) {
    if (file.endsWith('.json')) {
      const { fleet, message } = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { fleet: ProbeFleetProps; message: string };
      fixtures.push({ name: file, message, declare: () => fleet });
    } else if (file.endsWith('.ts')) {
      const module = (await import(join(FIXTURES, file))) as { message: string; declare: Fixture['declare'] };
      fixtures.push({ name: file, message: module.message, declare: module.declare });
    }
  }
  return fixtures;
}

const fixtures = await loadFixtures();
let app: App | undefined;
afterEach(() => {
  if (app) removeApp(app);
  app = undefined;
});

describe('synth-time validation', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    app = testApp();
    const props = fixture.declare(app);
    let thrown: unknown;
    try {
      new ProbeFleet(app, 'Fleet', props);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(fixture.message);
    // Nothing half-built: validation runs before any stack exists.
    expect(app.node.findAll().filter((c) => c.node.path.startsWith('Fleet/'))).toEqual([]);
  });
});
