// Bench section "scale": the fleet at 100,000 monitors. Probe part: probe shard capacity under a Lambda-like CPU share
// (probe-share.ts), from which the default monitorsPerProbe is taken. Pipeline part: 100,000 monitors × 3 regions
// through DynamoDB Local's real stream, the aggregator, the sweeper and a wide outage (pipeline.ts).
import type { BenchSection } from '../lib/section';
import { measureScalePipeline } from './pipeline';
import { measureProbeShare, probeShareReport } from './probe-share';

export const scaleSection: BenchSection = {
  name: 'scale',
  title: 'The fleet at 100,000 monitors: probe shard capacity under a Lambda-like CPU share, and the pipeline through the real stream',
  async run(ctx) {
    const probe = probeShareReport(await measureProbeShare(ctx), ctx.quick);
    const pipeline = await measureScalePipeline(ctx);
    return {
      markdown: `${probe.markdown}\n\n${pipeline.markdown}`,
      text: `${probe.text}\n\n${pipeline.text}`,
      figures: { ...probe.figures, ...pipeline.figures },
    };
  },
};
