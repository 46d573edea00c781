// The default monitorsPerProbe comes from the measured table (bench section scale): it may never drift above what a
// probe function of the default memory was measured to hold in a 10 s round, with the margin probe-shards.ts states.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTION_MEMORY_MB } from '../../functions/shared/deployment';
import { DEFAULT_MONITORS_PER_PROBE } from '../../functions/shared/domain/probe-shards';
import { parseMeasured } from '../../lib/pricing/measured';

const measured = parseMeasured(readFileSync(new URL('../../docs/benchmarks.json', import.meta.url), 'utf8'));
/** The margin DEFAULT_MONITORS_PER_PROBE's comment states: at most half the measured capacity. */
const MARGIN = 1 / 2;

describe('the default monitorsPerProbe', () => {
  it(`is at most half of the monitors a ${FUNCTION_MEMORY_MB.probe} MB probe was measured to check in a 10 s round under its CPU share`, () => {
    const at10 = measured.figures.probeShareCapacity?.find((f) => f.memoryMb === FUNCTION_MEMORY_MB.probe && f.intervalSeconds === 10);
    if (!at10) throw new Error(`docs/benchmarks.json has no probeShareCapacity at ${FUNCTION_MEMORY_MB.probe} MB and 10 s: run npm run bench -- --only scale`);
    // A --quick run's single trial is only a lower bound: the default is set from a full run's search.
    if (measured.sections.scale?.mode !== 'full') throw new Error('docs/benchmarks.json\'s scale section is from a --quick run: run npm run bench -- --only scale (the full run) before committing it');
    expect(at10.cpuShare).toBeCloseTo(FUNCTION_MEMORY_MB.probe / 1769, 3);
    expect(at10.monitors).toBeGreaterThan(0);
    expect(DEFAULT_MONITORS_PER_PROBE).toBeLessThanOrEqual(at10.monitors);
    expect(DEFAULT_MONITORS_PER_PROBE).toBeLessThanOrEqual(Math.floor(at10.monitors * MARGIN));
  });
});
