import { describe, expect, it } from 'vitest';
import { regionFlips } from '../../functions/shared/domain/region-flips';
import type { RoundEvidence } from '../../functions/shared/domain/verdict';

const up = { status: 'up', totalMs: 5, connectMs: 5 } as const;
const refused = { status: 'down', totalMs: 1, errorClass: 'refused', phase: 'connect', code: 'ECONNREFUSED', message: 'refused' } as const;
const canaryUp = up;
const canaryDown = { ...refused, errorClass: 'timeout' } as const;

/** Rounds a minute apart from `codes` per region: u up, d down, v down with its canary down too (vetoed), - absent. */
function rounds(byRegion: Record<string, string>): RoundEvidence[] {
  const length = Math.max(...Object.values(byRegion).map((c) => c.length));
  return Array.from({ length }, (_, i) => {
    const reports: RoundEvidence['reports'] = {};
    for (const [region, codes] of Object.entries(byRegion)) {
      const c = codes[i];
      if (c === 'u') reports[region] = { result: up, canary: canaryUp };
      if (c === 'd') reports[region] = { result: refused as never, canary: canaryUp };
      if (c === 'v') reports[region] = { result: refused as never, canary: canaryDown as never };
    }
    return { instant: i * 60_000, reports };
  });
}

describe('regionFlips', () => {
  it("gives each region's own changes, whatever the others saw; the first round of the window is no change", () => {
    expect(regionFlips(rounds({ a: 'uuddu', b: 'uuuuu', c: 'ddduu' }))).toEqual([
      { region: 'a', status: 'down', round: 120_000, class: 'refused' },
      { region: 'c', status: 'up', round: 180_000 },
      { region: 'a', status: 'up', round: 240_000 },
    ]);
  });

  it('skips rounds a region did not report in, or reported down under a failing canary (its network, not the target)', () => {
    expect(regionFlips(rounds({ a: 'u-vvu', b: 'u--du' }))).toEqual([
      { region: 'b', status: 'down', round: 180_000, class: 'refused' },
      { region: 'b', status: 'up', round: 240_000 },
    ]);
  });
});
