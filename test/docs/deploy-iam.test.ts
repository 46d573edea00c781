// docs/deploy.md's policy for the people who operate the fleet: valid JSON, and exactly the calls the commands make
// (the DynamoDB actions of functions/shared/adapters/store.ts's methods they use, SNS Publish and the KMS pair).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { historyDayKey, historyPartitions, historyPk } from '../../functions/shared/domain/history';

const DEPLOY = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');

/** IAM's StringLike on one value: `*` any run of characters, `?` one character, the rest literal. */
function stringLike(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

interface Statement { Sid: string; Effect: string; Action: string[]; Resource: string; Condition?: Record<string, Record<string, string | string[]>> }

describe('docs/deploy.md, Operating the fleet', () => {
  const at = DEPLOY.indexOf('### The IAM a person needs');
  const block = /```json\n([\s\S]*?)\n```/.exec(DEPLOY.slice(at))!;
  const policy = JSON.parse(block[1]!) as { Version: string; Statement: Statement[] };

  it('gives a policy document with every statement scoped, no wildcard action', () => {
    expect(at).toBeGreaterThan(0);
    expect(policy.Version).toBe('2012-10-17');
    for (const s of policy.Statement) {
      expect(s.Effect).toBe('Allow');
      for (const action of s.Action) expect(action).not.toContain('*');
      expect(s.Resource).not.toBe('*');
    }
  });

  it('lets the commands read only the partitions they read and write only silences, history and acks', () => {
    const by = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(by.ReadTheFleet!.Action.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(by.ReadTheFleet!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['state', 'state#*', 'silence', 'history#*', 'round#*'] } });
    expect(by.ActOnTheFleet!.Action).toEqual(['dynamodb:PutItem']);
    expect(by.ActOnTheFleet!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['silence', 'history#*'] } });
    expect(by.AcknowledgeDowns!.Action).toEqual(['dynamodb:UpdateItem']);
    expect(by.AcknowledgeDowns!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['state', 'state#*'] } });
    expect(by.TestPages!.Action).toEqual(['sns:Publish']);
    expect(by.TestPagesEncrypted!.Action.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    // The history's keys as the commands use them: a day's shards (`history#<day>#<k>`) and its legacy partition.
    const noon = Date.parse('2026-12-03T12:00:00Z');
    const readable = by.ReadTheFleet!.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys'] as string[];
    const writable = by.ActOnTheFleet!.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys'] as string[];
    for (const pk of historyPartitions(historyDayKey(noon))) expect(readable.some((p) => stringLike(p, pk)), pk).toBe(true);
    for (const monitor of ['orders-db', 'tag:env=prod']) expect(writable.some((p) => stringLike(p, historyPk(noon, monitor))), monitor).toBe(true);
    // No delete, no scan, no batch: an ended silence is rewritten, never deleted.
    const all = policy.Statement.flatMap((s) => s.Action);
    for (const denied of ['dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(all).not.toContain(denied);
  });
});
