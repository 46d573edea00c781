// Bench section "synth": placeholder until the section lands (running it fails loudly rather than reporting nothing).
import type { BenchSection } from '../lib/section';

export const synthSection: BenchSection = {
  name: 'synth',
  title: 'synth (not built yet)',
  run() {
    return Promise.reject(new Error("bench section 'synth' is not built yet"));
  },
};
