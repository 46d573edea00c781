// The contract between `npm run bench` (main.ts) and each benchmark section (probe, aggregator, detection, …).
import type { MeasuredFigures } from '../../../lib/pricing/measured';

export interface BenchContext {
  /** `--quick`: the whole bench should take about a minute; sections shrink their counts and runs. */
  quick: boolean;
  /** Progress lines for the terminal (stderr), so stdout keeps only the tables. */
  log(line: string): void;
}

export interface SectionReport {
  /** Markdown for docs/benchmarks.md, starting with a `## ` heading. */
  markdown: string;
  /** Plain text for the terminal: the section's table(s). */
  text: string;
  /** Tool versions the section compared against, for the machine block (e.g. `blackbox_exporter`: `0.23.0`). */
  versions?: Record<string, string>;
  /** The section's headline figures, merged into docs/benchmarks.json for `portquorum cost` and the README. */
  figures?: MeasuredFigures;
}

export interface BenchSection {
  /** Short name for `--only NAME`. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionReport>;
}
