// Bench section "aggregator": placeholder until the section lands (running it fails loudly rather than reporting nothing).
import type { BenchSection } from '../lib/section';

export const aggregatorSection: BenchSection = {
  name: 'aggregator',
  title: 'aggregator (not built yet)',
  run() {
    return Promise.reject(new Error("bench section 'aggregator' is not built yet"));
  },
};
