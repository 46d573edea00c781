// Bench section "coldstart": placeholder until the section lands (running it fails loudly rather than reporting nothing).
import type { BenchSection } from '../lib/section';

export const coldStartSection: BenchSection = {
  name: 'coldstart',
  title: 'coldstart (not built yet)',
  run() {
    return Promise.reject(new Error("bench section 'coldstart' is not built yet"));
  },
};
