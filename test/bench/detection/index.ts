// Bench section "detection": placeholder until the section lands (running it fails loudly rather than reporting nothing).
import type { BenchSection } from '../lib/section';

export const detectionSection: BenchSection = {
  name: 'detection',
  title: 'detection (not built yet)',
  run() {
    return Promise.reject(new Error("bench section 'detection' is not built yet"));
  },
};
