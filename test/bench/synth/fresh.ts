// Child entry of the synth section: one synth in a fresh process (as `cdk synth` runs the app), printing its timings as one JSON line.
import { synthFleet } from './fleet';

// Everything before this line ran at import: Node's start-up, tsx, aws-cdk-lib and lib/ loading.
const loadedMs = performance.now();
const result = synthFleet(Number(process.argv[2]));
const report = {
  loadedMs,
  constructMs: result.constructMs,
  synthMs: result.synthMs,
  totalMs: performance.now(),
  largestTemplateBytes: Math.max(...result.templates.map((t) => t.bytes)),
};
process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
