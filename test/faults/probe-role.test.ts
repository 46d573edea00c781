// Fault table row "a probe role attempting to write a state item": denied by policy. IAM does not run on DynamoDB
// Local, so the row is proved in two halves: the template grants each probe role writes only under its own round
// partitions (ForAllValues:StringLike on dynamodb:LeadingKeys), and on DynamoDB Local that condition, evaluated as IAM
// evaluates StringLike, admits every key the real probe handler writes and none of the state keys the real aggregator
// and sweeper write (history included), nor another region's or group's round keys.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../functions/probe/handler';
import { memoryMetrics, silentLog } from '../../functions/shared/adapters/observability';
import type { MonitorSpec } from '../../functions/shared/domain';
import { ProbeFleet } from '../../lib';
import { removeApp, testApp } from '../cdk/support';
import { closedPort } from '../support/ports';
import { REGIONS, usePipelines, type Pipeline } from '../support/pipeline';

const GROUP = 'private';
const GROUP_REGION = REGIONS[1]!;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** IAM's StringLike: `*` any run of characters, `?` one character, everything else literal and case-sensitive. */
function stringLike(pattern: string, value: string): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

/**
 * Whether a write of items with these partition keys passes the statement's conditions. Only
 * ForAllValues:StringLike on dynamodb:LeadingKeys is understood (an unknown condition fails the test, so this
 * evaluator cannot silently pass a condition it does not model): every key of the request must match a pattern.
 */
function allows(statement: Statement, partitionKeys: string[]): boolean {
  const conditions = statement.Condition ?? {};
  for (const [operator, byKey] of Object.entries(conditions)) {
    for (const [key, values] of Object.entries(byKey)) {
      if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys') throw new Error(`condition ${operator} ${key} is not modelled here`);
      const patterns = [values].flat();
      if (!partitionKeys.every((pk) => patterns.some((pattern) => stringLike(pattern, pk)))) return false;
    }
  }
  return true;
}

const monitors: MonitorSpec[] = [
  { id: 'public-closed', host: '127.0.0.1', port: 1, retries: 0, timeoutMs: 2000 },
  { id: 'private-closed', host: '127.0.0.1', port: 1, retries: 0, timeoutMs: 2000, group: GROUP },
];
const groups = { [GROUP]: { regions: [GROUP_REGION] } };

let app: App;
/** Every IAM statement of each probe function's role, by `<region>/<group or ->`. */
const probeStatements = new Map<string, Statement[]>();

beforeAll(() => {
  app = testApp();
  const fleet = new ProbeFleet(app, 'Fleet', { regions: REGIONS, account: '123456789012', monitors, groups });
  for (const [region, stack] of fleet.probeStacks) {
    const template = Template.fromStack(stack);
    for (const [name, probe] of stack.probes) {
      const roleId = stack.getLogicalId(probe.role.node.defaultChild as never);
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
      probeStatements.set(`${region}/${name || '-'}`, policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]));
    }
  }
});
afterAll(() => removeApp(app));

/** The statements of one probe role that grant DynamoDB actions. */
function dynamoStatements(probe: string): Statement[] {
  const all = probeStatements.get(probe);
  if (!all) throw new Error(`no probe role ${probe} in the template (have ${[...probeStatements.keys()].join(', ')})`);
  return all.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
}

describe('the probe roles in the template', () => {
  it('has one role per probe function: the public probes in every region, the group where it runs', () => {
    expect([...probeStatements.keys()].sort()).toEqual([...REGIONS.map((r) => `${r}/-`), `${GROUP_REGION}/${GROUP}`].sort());
  });

  it('grants each probe only PutItem and BatchWriteItem, only under its own round partitions', () => {
    for (const probe of probeStatements.keys()) {
      const [region, group] = probe.split('/') as [string, string];
      const statements = dynamoStatements(probe);
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement!.Effect).toBe('Allow');
      // No Get, Query, Update or Delete: nothing to read state with, nothing to change an item in place.
      expect([statement!.Action].flat().sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:PutItem']);
      expect(statement!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`round#${region}#${group}#*`] } });
    }
  });
});

describe('the condition against the keys the real handlers write on DynamoDB Local', () => {
  const pipeline = usePipelines();
  let p: Pipeline;
  let keys: { pk: string; kind: string; region?: string; grp?: string }[];

  beforeAll(async () => {
    const closed = await closedPort();
    p = await pipeline({ monitors: monitors.map((m) => ({ ...m, port: closed })), groups });
    // Two rounds from every probe (three regions public, one group), DOWN decided by the aggregator, then a sweep:
    // round items, monitor state items, the fleet item and the state generation are all in the table.
    for (const minute of [p.clock.base, p.clock.base + 60_000]) {
      await p.whileWriting(async () => {
        const probes = [...REGIONS.map((region) => ({ region })), { region: GROUP_REGION, group: GROUP }];
        await Promise.all(probes.map(async (probe) => {
          let now = minute + 800;
          const handler = createProbeHandler({
            fleet: p.fleet, ...probe, store: p.table.store, log: silentLog, metrics: memoryMetrics(),
            now: () => now, sleep: async (ms) => { now += ms; },
          });
          await handler({ time: new Date(minute).toISOString() }, { getRemainingTimeInMillis: () => 70_000 });
        }));
        p.clock.now = minute + 5_000;
      });
    }
    await p.drain();
    p.clock.now = p.clock.base + 3 * 60_000;
    await p.sweep();
    const scan = await p.table.client.send(new ScanCommand({ TableName: p.table.tableName, ConsistentRead: true }));
    keys = (scan.Items ?? []).map((item) => unmarshall(item) as (typeof keys)[number]);
  }, 120_000);

  it('the run wrote round items from every probe and the state items a probe must not touch', () => {
    // Both monitors target the same closed port on one address: they page once between them. One INCIDENT names both
    // when one stream batch decides both; when the poller read the group's round item in a later batch, the first
    // one's DOWN pages and the other joins it (INCIDENT_UPDATED).
    const pages = p.alerts().filter((a) => a.monitor || a.incident).map((a) => `${a.kind} ${a.monitor?.id ?? a.incident!.stillDown.join(' ')}`);
    expect([
      ['INCIDENT private-closed public-closed'],
      ['DOWN public-closed', 'INCIDENT_UPDATED public-closed private-closed'],
      ['DOWN private-closed', 'INCIDENT_UPDATED private-closed public-closed'],
    ]).toContainEqual(pages);
    const rounds = keys.filter((k) => k.kind === 'round');
    expect(new Set(rounds.map((k) => `${k.region}/${k.grp ?? '-'}`))).toEqual(new Set([...REGIONS.map((r) => `${r}/-`), `${GROUP_REGION}/${GROUP}`]));
    expect(keys.filter((k) => k.pk === 'state' || k.pk.startsWith('state#')).length).toBeGreaterThanOrEqual(3);
    // The history the aggregator and the sweeper keep (transitions, alerts, deliveries): no probe may write it.
    expect(keys.filter((k) => k.pk.startsWith('history#') && k.kind === 'history').length).toBeGreaterThanOrEqual(6);
  });

  it('each probe role may write every key its handler wrote, and no other item in the table', () => {
    for (const probe of probeStatements.keys()) {
      const [region, group] = probe.split('/') as [string, string];
      const [statement] = dynamoStatements(probe);
      const own = keys.filter((k) => k.kind === 'round' && k.region === region && (k.grp ?? '-') === group);
      expect(own.length).toBeGreaterThan(0);
      // Its real round writes pass, one at a time (PutItem) and together (BatchWriteItem).
      for (const k of own) expect(allows(statement!, [k.pk]), `${probe} writing its own ${k.pk}`).toBe(true);
      expect(allows(statement!, own.map((k) => k.pk))).toBe(true);
      // Every other item — state, the fleet item, the generation, other regions' and groups' rounds — is refused,
      // alone or smuggled into a batch with its own rounds.
      const others = keys.filter((k) => !own.includes(k));
      expect(others.length).toBeGreaterThan(0);
      for (const k of others) {
        expect(allows(statement!, [k.pk]), `${probe} writing ${k.pk}`).toBe(false);
        expect(allows(statement!, [...own.map((o) => o.pk), k.pk])).toBe(false);
      }
    }
  });

  it('a forged state item is refused: the keys the aggregator and sweeper use, and look-alikes of a round key', () => {
    const [statement] = dynamoStatements(`${REGIONS[0]}/-`);
    const forged = ['state', 'State', 'state#0', 'state#63', `history#${new Date().toISOString().slice(0, 10)}`, `history#${new Date().toISOString().slice(0, 10)}#15`, `round#${REGIONS[0]}#-#1#history`.replace('round#', 'history#'), `state#round#${REGIONS[0]}#-#1`, `round#${REGIONS[1]}#-#1718000000`, `round#${REGIONS[0]}#${GROUP}#1718000000`, `round#${REGIONS[0]}`, `round#${REGIONS[0]}x#-#1`];
    for (const pk of forged) expect(allows(statement!, [pk]), pk).toBe(false);
    expect(allows(statement!, [`round#${REGIONS[0]}#-#1718000000`])).toBe(true);
  });
});
