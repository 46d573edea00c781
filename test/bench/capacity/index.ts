// Bench section "capacity": placeholder until the section lands (running it fails loudly rather than reporting nothing).
import type { BenchSection } from '../lib/section';

export const capacitySection: BenchSection = {
  name: 'capacity',
  title: 'capacity (not built yet)',
  run() {
    return Promise.reject(new Error("bench section 'capacity' is not built yet"));
  },
};
