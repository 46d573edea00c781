// Bench section "scale": the fleet at 100,000 monitors. Probe part: probe shard capacity under a Lambda-like CPU share
// (probe-share.ts), from which the default monitorsPerProbe is taken. Pipeline part: 100,000 monitors × 3 regions
// through DynamoDB Local's real stream, the aggregator, the sweeper and a wide outage (pipeline.ts), with each function's
// own peak memory (function-memory.ts). Local part: `portquorum local` at the same size, its processes' peak memory
// (local-memory.ts).
import type { BenchSection } from '../lib/section';
import { measureScalePipeline } from './pipeline';
import { localMemoryReport, measureLocalFleetMemory } from './local-memory';
import { measureProbeShare, probeShareReport } from './probe-share';

/** The local fleet's run: the pipeline's size, a few minutes of rounds. */
const LOCAL = { quick: { monitors: 10_000, minutes: 2 }, full: { monitors: 100_000, minutes: 3 } } as const;

export const scaleSection: BenchSection = {
  name: 'scale',
  title: 'The fleet at 100,000 monitors: probe shard capacity under a Lambda-like CPU share, and the pipeline through the real stream',
  async run(ctx) {
    const probe = probeShareReport(await measureProbeShare(ctx), ctx.quick);
    const pipeline = await measureScalePipeline(ctx);
    const local = localMemoryReport(await measureLocalFleetMemory(ctx, ctx.quick ? LOCAL.quick : LOCAL.full));
    return {
      markdown: `${probe.markdown}\n\n${pipeline.markdown}\n${local.markdown}`,
      text: `${probe.text}\n\n${pipeline.text}\n\n${local.text}`,
      figures: { ...probe.figures, ...pipeline.figures },
    };
  },
};
