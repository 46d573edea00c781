import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ERROR_CLASSES, PHASES } from '../../functions/shared/domain';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { deflateRawSync } from 'node:zlib';
import {
  COMPRESS_ABOVE_BYTES, decodeRoundItem, encodeRoundItems, isOlderRoundLayout, MAX_SHARD_BYTES, normalizeResult, RecordError, roundPartitionPrefix, roundPartitions,
  type RoundItem, type RoundResult,
} from '../../functions/shared/domain/record';

/** The item as the aggregator gets it from a Lambda stream event: JSON, binary attributes in base64. */
function asLambdaImage(item: RoundItem): Record<string, unknown> {
  const image = JSON.parse(JSON.stringify(marshall(item, { removeUndefinedValues: true }), (_k, v: unknown) =>
    (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
  return unmarshall(image);
}

/** The item as the store reads it back with a Query (binary attributes as bytes). */
function asQueried(item: RoundItem): Record<string, unknown> {
  return unmarshall(marshall(item, { removeUndefinedValues: true }));
}

const id = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,40}$/);
const ms = fc.integer({ min: 0, max: 120_000 });
const result: fc.Arbitrary<RoundResult> = fc.oneof(
  fc.record({ status: fc.constant('up' as const), connectMs: ms, totalMs: ms, certDays: fc.integer({ min: -30, max: 900 }) }, { requiredKeys: ['status', 'totalMs'] }),
  fc.record({
    status: fc.constant('down' as const),
    errorClass: fc.constantFrom(...ERROR_CLASSES),
    phase: fc.constantFrom(...PHASES),
    connectMs: ms,
    totalMs: ms,
    certDays: fc.integer({ min: -30, max: 900 }),
    code: fc.string({ maxLength: 60 }),
    message: fc.string({ maxLength: 300, unit: 'grapheme' }),
  }, { requiredKeys: ['status', 'errorClass', 'phase', 'totalMs', 'code', 'message'] }),
);
const round = fc.record({
  instant: fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }).map((s) => s * 1000),
  region: fc.constantFrom('us-east-1', 'eu-west-1', 'local'),
  group: fc.option(fc.constantFrom('vpc-a', 'internal'), { nil: undefined }),
  probedAt: fc.integer({ min: 0, max: 2 ** 45 }),
  canary: fc.oneof(fc.constant({ status: 'none' as const }), result),
  results: fc.dictionary(id, result, { maxKeys: 60 }),
});

describe('round record codec', () => {
  it('decodes what it encodes, whatever the results (messages flattened to one line and cut)', () => {
    fc.assert(fc.property(round, fc.integer({ min: 200, max: 5000 }), (r, maxShardBytes) => {
      const rec = { ...r, ...(r.group === undefined ? {} : { group: r.group }) };
      if (rec.group === undefined) delete (rec as { group?: string }).group;
      const items = encodeRoundItems(rec, { maxShardBytes });
      const decoded = items.map((item, k) => decodeRoundItem(k % 2 === 0 ? asLambdaImage(item) : asQueried(item)));
      expect(items.map((i) => decodeRoundItem(asQueried(i)))).toEqual(items.map((i) => decodeRoundItem(asLambdaImage(i))));
      const merged = Object.assign({}, ...decoded.map((d) => d.results));
      const expected = Object.fromEntries(Object.entries(rec.results).map(([k, v]) => [k, normalizeResult(v)]));
      expect(merged).toEqual(expected);
      for (const d of decoded) {
        expect(d.instant).toBe(rec.instant);
        expect(d.region).toBe(rec.region);
        expect(d.group).toBe(rec.group);
        expect(d.shards).toBe(items.length);
        expect(d.canary).toEqual(rec.canary.status === 'none' ? rec.canary : normalizeResult(rec.canary));
      }
      expect(new Set(items.map((i) => i.sk)).size).toBe(items.length);
    }), { numRuns: 300 });
  });

  it('keeps shards bounded and the number of items independent of monitors until a shard fills', () => {
    const results = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`monitor-${String(i).padStart(4, '0')}`, { status: 'up' as const, connectMs: 12, totalMs: 15 }]));
    const base = { instant: 1_718_000_000_000, region: 'us-east-1', probedAt: 1, canary: { status: 'none' as const } };
    expect(encodeRoundItems({ ...base, results: results(1) })).toHaveLength(1);
    expect(encodeRoundItems({ ...base, results: results(100) })).toHaveLength(1);
    const big = encodeRoundItems({ ...base, results: results(10_000) });
    for (const item of big) expect(item.rz?.length ?? Buffer.byteLength(item.r!)).toBeLessThanOrEqual(MAX_SHARD_BYTES);
    expect(big.length).toBeGreaterThan(1);
    expect(big.reduce((n, item) => n + Object.keys(decodeRoundItem(asQueried(item)).results).length, 0)).toBe(10_000);
  });

  it('stores a large round deflated, a few bytes per monitor, and a small one as text', () => {
    const base = { instant: 1_718_000_000_000, region: 'us-east-1', probedAt: 1, canary: { status: 'none' as const } };
    const results = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`orders-${String(i * 7919).padStart(6, '0')}`, { status: 'up' as const, connectMs: 10 + (i % 90), totalMs: 12 + (i % 97) }]));
    const [small] = encodeRoundItems({ ...base, results: results(3) });
    expect(small!.r).toMatch(/^orders-000000\tu\t10\t12\t\n/);
    expect(small!.rz).toBeUndefined();
    const [large] = encodeRoundItems({ ...base, results: results(1000) });
    expect(large!.r).toBeUndefined();
    // Raw, each line is ~25 bytes (a 13-character id and the fields); deflated, well under half of that.
    expect(large!.rz!.length / 1000).toBeLessThan(12);
    expect(large!.rz!.length).toBeGreaterThan(COMPRESS_ABOVE_BYTES / 10);
  });

  it('keys each probe\'s round in its own partition (region, group, round) with the shard as sort key', () => {
    const results = { db: { status: 'up' as const, totalMs: 3 } };
    const [pub] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' }, results });
    const [grp] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', group: 'private', probedAt: 1, canary: { status: 'none' }, results });
    expect([pub!.pk, pub!.sk, grp!.pk, grp!.sk]).toEqual(['round#eu-west-1#-#1718000000', '0', 'round#eu-west-1#private#1718000000', '0']);
    expect(pub!.pk.startsWith(roundPartitionPrefix({ region: 'eu-west-1' }))).toBe(true);
    expect(grp!.pk.startsWith(roundPartitionPrefix({ region: 'eu-west-1' }))).toBe(false);
    expect(roundPartitions({ regions: ['a-1', 'b-1'], groups: { private: { regions: ['b-1'] } } }))
      .toEqual([{ region: 'a-1' }, { region: 'b-1' }, { region: 'b-1', group: 'private' }]);
  });

  it('refuses an item whose key does not say what it holds: another region, group, round or shard', () => {
    const [item] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' }, results: { db: { status: 'up', totalMs: 3 } } });
    expect(decodeRoundItem({ ...item })).toMatchObject({ region: 'eu-west-1', instant: 1_718_000_000_000 });
    // A probe limited to its own partitions cannot write a result that speaks for another region or group.
    expect(() => decodeRoundItem({ ...item, region: 'us-east-1' })).toThrow(
      'round item round#eu-west-1#-#1718000000 / 0: pk is not round#us-east-1#-#1718000000, the partition of region us-east-1, the public probes and round 1718000000',
    );
    expect(() => decodeRoundItem({ ...item, grp: 'private' })).toThrow(/pk is not round#eu-west-1#private#1718000000/);
    expect(() => decodeRoundItem({ ...item, round: 1718000060 })).toThrow(/pk is not round#eu-west-1#-#1718000060/);
    expect(() => decodeRoundItem({ ...item, sk: '1' })).toThrow(/sk is not '0', the key of item 0/);
  });

  it('keys a probe shard\'s items apart in the region\'s partition of the round, and reads the shard back', () => {
    const results = { db: { status: 'up' as const, totalMs: 3 } };
    const [first] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' }, results });
    const [third] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probeShard: 2, probedAt: 1, canary: { status: 'none' }, results });
    // Shard 0 writes exactly what a fleet without shards wrote, so adding shards changes nothing for it.
    expect([first!.pk, first!.sk, first!.ps]).toEqual(['round#eu-west-1#-#1718000000', '0', undefined]);
    expect([third!.pk, third!.sk, third!.ps]).toEqual(['round#eu-west-1#-#1718000000', '2.0', 2]);
    expect(decodeRoundItem({ ...third })).toMatchObject({ probeShard: 2, shard: 0, results });
    expect(decodeRoundItem({ ...first }).probeShard).toBeUndefined();
    expect(() => decodeRoundItem({ ...third, ps: 3 })).toThrow(/sk is not '3.0', the key of item 0 of probe shard 3/);
    expect(() => decodeRoundItem({ ...third, ps: 0 })).toThrow(/ps is 0, not a whole number ≥ 1/);
  });

  it('names the layout before version 3 (one partition per round instant) and tells the stream reader to skip it', () => {
    const v2 = { pk: 'round#1718000000', sk: 'eu-west-1#-#0', kind: 'round', v: 2, region: 'eu-west-1', round: 1718000000, shard: 0, shards: 1, at: 1, r: 'db\tu\t4\t5\t', ttl: 1 };
    expect(isOlderRoundLayout(v2)).toBe(true);
    expect(isOlderRoundLayout({ ...v2, v: 1 })).toBe(true);
    expect(isOlderRoundLayout({ ...v2, v: 3 })).toBe(false);
    expect(() => decodeRoundItem(v2)).toThrow(/schema version 2 is the round layout before version 3 \(one partition per round instant\)/);
  });

  it('refuses deflated results that do not inflate, or inflate without bound', () => {
    const [item] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' }, results: { db: { status: 'up', totalMs: 3 } } });
    expect(() => decodeRoundItem({ ...item, r: undefined, rz: new Uint8Array([1, 2, 3, 255]) })).toThrow(/round item round#eu-west-1#-#1718000000 \/ 0: rz \(the deflated results\) does not inflate/);
    const bomb = new Uint8Array(deflateRawSync(Buffer.alloc(10 * MAX_SHARD_BYTES, 'a')));
    expect(() => decodeRoundItem({ ...item, r: undefined, rz: bomb })).toThrow(/rz \(the deflated results\) does not inflate/);
  });

  it('names the item and the problem for an unknown schema version', () => {
    const [item] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' }, results: {} });
    expect(() => decodeRoundItem({ ...item, v: 99 })).toThrow(RecordError);
    expect(() => decodeRoundItem({ ...item, v: 99 })).toThrow(
      `round item round#eu-west-1#-#1718000000 / 0: schema version 99 is not one this aggregator reads (3); deploy the same version to every region`,
    );
  });

  it.each([
    ['a missing region', { region: undefined }, 'region is undefined, not a non-empty string'],
    ['a bad status', { r: 'db\tz\t1\t2\t' }, "result line 1 (db): status 'z' is neither 'u' nor an error class index"],
    ['a truncated down result', { r: 'db\t0\t1\t2\t' }, 'result line 1 (db): a down result has 4 fields, not 7'],
    ['a line without id', { r: '\tu\t1\t2\t' }, 'result line 1 has no monitor id'],
    ['a shard beyond the count', { shard: 3, shards: 2 }, 'shard 3 is not below shards 2'],
    ['a later line without id', { r: 'db\tu\t1\t2\t\nweb' }, 'result line 2 has no monitor id'],
    ['an empty line', { r: 'db\tu\t1\t2\t\n\nweb\tu\t1\t2\t' }, 'result line 2 has no monitor id'],
    ['a trailing newline', { r: 'db\tu\t1\t2\t\n' }, 'result line 2 has no monitor id'],
    ['a missing totalMs', { r: 'db\tu\t1\t\t' }, 'result line 1 (db): totalMs is missing'],
    ['a fractional connectMs', { r: 'db\tu\t1.5\t2\t' }, "result line 1 (db): connectMs '1.5' is not a whole number"],
    ['a fractional certDays', { r: 'db\tu\t1\t2\t3.5' }, "result line 1 (db): certDays '3.5' is not a whole number"],
    ['a bad phase', { r: 'db\t0\t1\t2\t\t99\tE\tm' }, "result line 1 (db): phase '99' is not a phase index"],
  ])('rejects %s with a clear message', (_name, change, message) => {
    const [item] = encodeRoundItems({ instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' }, results: { db: { status: 'up', totalMs: 3 } } });
    expect(() => decodeRoundItem({ ...item, ...change })).toThrow(message);
  });
});

describe('decoded results', () => {
  it('keep the fields in the order the format always gave them (what JSON of evidence shows)', () => {
    const [item] = encodeRoundItems({
      instant: 1_718_000_000_000, region: 'eu-west-1', probedAt: 1, canary: { status: 'none' },
      results: {
        db: { status: 'down', errorClass: ERROR_CLASSES[0]!, phase: PHASES[0]!, totalMs: 5, connectMs: 2, certDays: 9, code: 'E', message: 'm' },
        web: { status: 'up', totalMs: 3, connectMs: 1, certDays: 7, view: 'v1' },
        api: { status: 'up', totalMs: 3 },
      },
    });
    const { results } = decodeRoundItem(asQueried(item!));
    expect(Object.keys(results.db!)).toEqual(['status', 'errorClass', 'phase', 'totalMs', 'connectMs', 'certDays', 'code', 'message']);
    expect(Object.keys(results.web!)).toEqual(['status', 'totalMs', 'connectMs', 'certDays', 'view']);
    expect(Object.keys(results.api!)).toEqual(['status', 'totalMs']);
  });
});
