// Bench section "scale": the fleet at 100,000 monitors. Probe part: probe shard capacity under a Lambda-like CPU share
// (probe-share.ts), from which the default monitorsPerProbe is taken.
import type { BenchSection } from '../lib/section';
import { measureProbeShare, probeShareReport } from './probe-share';

export const scaleSection: BenchSection = {
  name: 'scale',
  title: 'Probe shard capacity under a Lambda-like CPU share (cgroup CPU quota by memory setting)',
  async run(ctx) {
    const probe = probeShareReport(await measureProbeShare(ctx), ctx.quick);
    return { markdown: probe.markdown, text: probe.text, figures: probe.figures };
  },
};
