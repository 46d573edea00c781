// Bench section "synth": synth time and the largest template's size by monitor count (in-process), against CloudFormation's 1 MB.
import { runChild } from '../lib/child';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection, SectionReport } from '../lib/section';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { markdownTable, textTable, type Table } from '../lib/table';
import type { SynthResult, Validation } from './fleet';

/** CloudFormation's limit on a template uploaded through S3 (CDK uploads every template as an asset), and on one passed inline. */
const MAX_TEMPLATE_BYTES = 1_000_000;
const MAX_INLINE_TEMPLATE_BYTES = 51_200;
/** Monitors of the extra synths (first in-process, fresh process, bundled): a small fleet, where fixed costs dominate. */
const EXTRA_MONITORS = 100;
const FRESH_TIMEOUT_MS = 180_000;

interface Plan {
  sizes: number[];
  runs: number;
  /**
   * aws-cdk-lib's CloudFormation validation per size: `on` is what `cdk synth` does, and its first use in a process
   * starts a WebAssembly engine that takes seconds; quick mode measures only `off` to stay inside its minute.
   */
  validation: Validation[];
  /** One synth in a fresh `node --import tsx` process, as `cdk synth` runs the app. */
  fresh: boolean;
  /** One synth with the functions bundled for real (esbuild), checked against the coldstart section's bundles. */
  bundled: boolean;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { sizes: [100, 1000], runs: 2, validation: ['off'], fresh: false, bundled: false },
  full: { sizes: [100, 1000, 10_000], runs: 5, validation: ['on', 'off'], fresh: true, bundled: true },
};

const FRESH_SCRIPT = fileURLToPath(new URL('./fresh.ts', import.meta.url));

interface FreshReport {
  loadedMs: number;
  constructMs: number;
  synthMs: number;
  totalMs: number;
  largestTemplateBytes: number;
}

async function freshSynth(monitors: number, cwd: string): Promise<FreshReport> {
  const run = await runChild(['--import', 'tsx', FRESH_SCRIPT, String(monitors)], { cwd, timeoutMs: FRESH_TIMEOUT_MS });
  if (run.code !== 0) throw new Error(`synth bench: the fresh-process synth failed (exit ${run.signal ?? run.code}${run.timedOut ? ', timed out' : ''}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as FreshReport;
}

interface BundleCheck {
  result: SynthResult;
  /** Every function asset's index.mjs is byte-identical to one of the coldstart section's bundles, and each of those appears. */
  identical: boolean;
  detail: string;
}

async function bundledSynth(synthFleet: (count: number, bundling: 'skip' | 'bundle', validation: Validation) => SynthResult): Promise<BundleCheck> {
  const result = synthFleet(EXTRA_MONITORS, 'bundle', 'on');
  const { buildBundles } = await import('../coldstart');
  const root = mkdtempSync(join(tmpdir(), 'pq-bench-synth-bundles-'));
  try {
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const ours = new Map((await buildBundles(root)).map((b) => [sha(readFileSync(b.file)), b.kind]));
    const theirs = new Set(result.assets.map((a) => sha(a.indexMjs)));
    const unmatched = [...theirs].filter((h) => !ours.has(h)).length;
    const missing = [...ours].filter(([h]) => !theirs.has(h)).map(([, kind]) => kind);
    const identical = unmatched === 0 && missing.length === 0;
    const detail = identical
      ? `the ${result.assets.length} distinct function assets' index.mjs (the probe stacks share one asset) are byte-identical to the coldstart section's ${ours.size} bundles (${[...ours.values()].join(', ')})`
      : `${unmatched} asset(s) differ from every coldstart bundle; coldstart bundles not found among the assets: ${missing.join(', ') || 'none'}`;
    return { result, identical, detail };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface Measured {
  first: SynthResult;
  sizes: Array<{ monitors: number; validation: Validation; runs: SynthResult[] }>;
  fresh?: FreshReport;
  bundled?: BundleCheck;
}

async function measure(ctx: BenchContext, plan: Plan): Promise<Measured> {
  // aws-cdk-lib loads only when this section runs, so `--only probe` does not pay for it.
  const { synthFleet } = await import('./fleet');
  const { PROJECT_ROOT } = await import('../../../lib/function');
  ctx.log(`synth: first synth in this process (${EXTRA_MONITORS} monitors), then ${plan.sizes.join(', ')} monitors × ${plan.runs}, bundling skipped, CloudFormation validation ${plan.validation.join('/')}`);
  const first = synthFleet(EXTRA_MONITORS, 'skip', plan.validation[0]!);
  const sizes = plan.validation.flatMap((validation) => plan.sizes.map((monitors) => ({ monitors, validation, runs: [] as SynthResult[] })));
  // Sizes take turns inside each run, so drift on a shared machine hits all of them alike.
  for (let run = 0; run < plan.runs; run++) {
    for (const size of sizes) size.runs.push(synthFleet(size.monitors, 'skip', size.validation));
  }
  const measured: Measured = { first, sizes };
  if (plan.fresh) {
    ctx.log(`synth: one synth in a fresh process (${EXTRA_MONITORS} monitors)`);
    measured.fresh = await freshSynth(EXTRA_MONITORS, PROJECT_ROOT);
  }
  if (plan.bundled) {
    ctx.log(`synth: one synth bundling the functions for real (${EXTRA_MONITORS} monitors)`);
    measured.bundled = await bundledSynth(synthFleet);
  }
  return measured;
}

const KB = 1024;

function largest(result: SynthResult): { stack: string; bytes: number; resources: number } {
  return result.templates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

function report(m: Measured, plan: Plan): SectionReport {
  const rows = m.sizes.map(({ monitors, validation, runs }) => {
    const seconds = spread(runs.map((r) => (r.constructMs + r.synthMs) / 1000));
    // Templates do not depend on the run; the last run's stand for all (checked equal below).
    const last = runs[runs.length - 1]!;
    const top = largest(last);
    const sizesAgree = runs.every((r) => largest(r).bytes === top.bytes);
    return {
      monitors,
      validation,
      seconds,
      largestBytes: top.bytes,
      row: [
        monitors.toLocaleString('en-US'),
        validation,
        fmtSpread(spread(runs.map((r) => r.constructMs))),
        fmtSpread(spread(runs.map((r) => r.synthMs))),
        fmtSpread(seconds),
        String(last.templates.length),
        `${top.stack}: ${top.bytes.toLocaleString('en-US')} B${sizesAgree ? '' : ' (varied between runs)'}`,
        `${(100 * (1 - top.bytes / MAX_TEMPLATE_BYTES)).toFixed(1)}% (${fmt((MAX_TEMPLATE_BYTES - top.bytes) / KB)} KiB free)`,
        top.bytes <= MAX_INLINE_TEMPLATE_BYTES ? 'yes' : 'no',
        String(Math.max(...last.templates.map((t) => t.resources))),
        `${fmt(last.fleetFileBytes / KB)} KiB`,
      ],
    };
  });
  const table: Table = {
    header: ['monitors', 'CFN validation', 'new ProbeFleet ms', 'app.synth() ms', 'total s', 'templates', 'largest template', 'margin to 1 MB', 'under 51,200 B too', 'max resources', 'fleet.json'],
    rows: rows.map((r) => r.row),
  };

  const extra: Table = {
    header: ['synth', 'monitors', 'time', 'largest template'],
    rows: [
      [
        `first in this process (incl. bundling the functions once, validation ${m.first.validation})`,
        EXTRA_MONITORS.toLocaleString('en-US'),
        `${fmt((m.first.constructMs + m.first.synthMs) / 1000)} s (construct ${fmt(m.first.constructMs)} ms, synth ${fmt(m.first.synthMs)} ms)`,
        `${largest(m.first).bytes.toLocaleString('en-US')} B`,
      ],
      ...(m.fresh
        ? [[
          'fresh process (node --import tsx, incl. bundling the functions once, validation on)',
          EXTRA_MONITORS.toLocaleString('en-US'),
          `${fmt(m.fresh.totalMs / 1000)} s from process start (loading ${fmt(m.fresh.loadedMs / 1000)} s, construct ${fmt(m.fresh.constructMs)} ms, synth ${fmt(m.fresh.synthMs)} ms)`,
          `${m.fresh.largestTemplateBytes.toLocaleString('en-US')} B`,
        ]]
        : []),
      ...(m.bundled
        ? [[
          'in this process, bundling-stacks not skipped (validation on)',
          EXTRA_MONITORS.toLocaleString('en-US'),
          // The process's bundles are already built (first synth): this is writing the code assets, in the construct time.
          `${fmt((m.bundled.result.constructMs + m.bundled.result.synthMs) / 1000)} s (construct incl. writing the code assets ${fmt(m.bundled.result.constructMs)} ms, synth ${fmt(m.bundled.result.synthMs)} ms)`,
          `${largest(m.bundled.result).bytes.toLocaleString('en-US')} B`,
        ]]
        : []),
    ],
  };

  // The figure is what `cdk synth` does (validation on) when measured; quick mode has only validation off, and says so.
  const figureValidation: Validation = rows.some((r) => r.validation === 'on') ? 'on' : 'off';
  const figureRows = rows.filter((r) => r.validation === figureValidation);
  const worst = rows.reduce((a, b) => (b.largestBytes > a.largestBytes ? b : a));
  const headline = `Largest template at ${worst.monitors.toLocaleString('en-US')} monitors: ${worst.largestBytes.toLocaleString('en-US')} bytes, ${(100 * (1 - worst.largestBytes / MAX_TEMPLATE_BYTES)).toFixed(1)}% under CloudFormation's 1 MB. The monitors live in fleet.json inside each function's code asset, not in the templates, so template size stays flat while fleet.json grows with the fleet.`;
  const bundleLine = m.bundled ? `Bundled synth: ${m.bundled.detail}.` : '';

  const markdown = [
    '## Synth: time and template size',
    '',
    `\`new ProbeFleet(app, 'Fleet', { regions: [${m.first.regions.map((r) => `'${r}'`).join(', ')}], monitors })\` then \`app.synth()\`, in the bench process, with`,
    'cdk.json\'s context; the function bundles are built once per process (lib/bundling.ts: esbuild from source in a checkout, prebuilt in the package), in the first synth. Monitors as in',
    'test/cdk/scale.test.ts (a third with a preset, every seventh with its own interval and tags). `median (min–max)` over',
    `${plan.runs} runs per size, sizes taking turns, after one unmeasured first synth (module loading and JIT, shown below).`,
    '"total" = construct + synth: what running the app costs beyond loading it; `cdk synth` adds starting the process and the CLI.',
    '"CFN validation": aws-cdk-lib\'s built-in CloudFormation validation of every template at synth (`on` is the default, as',
    '`cdk synth` runs it; `off` = `CDK_VALIDATION=false`). Its first use in a process starts a WebAssembly engine: see "first in',
    `this process" below. The \`synth\` figures in docs/benchmarks.json are the validation-${figureValidation} rows${figureValidation === 'off' ? ' (quick mode measures only those; the full run measures both)' : ''}.`,
    '',
    markdownTable(table),
    '',
    headline,
    '',
    'CloudFormation accepts a template up to 1 MB from S3 (CDK uploads every template as an asset) and 51,200 bytes inline.',
    '',
    '### Other synths (one run each)',
    '',
    markdownTable(extra),
    '',
    ...(bundleLine ? [bundleLine, ''] : []),
  ].join('\n');

  const text = ['Synth — median (min–max)', textTable(table), '', headline, '', 'Other synths', textTable(extra), ...(bundleLine ? ['', bundleLine] : [])].join('\n');
  const s3 = (s: Spread) => ({ min: round3(s.min), median: round3(s.median), max: round3(s.max), runs: s.runs });
  return {
    markdown,
    text,
    figures: { synth: figureRows.map((r) => ({ monitors: r.monitors, seconds: s3(r.seconds), largestTemplateBytes: r.largestBytes })) },
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export const synthSection: BenchSection = {
  name: 'synth',
  title: 'Synth time and largest template by monitor count',
  async run(ctx) {
    const plan = ctx.quick ? PLANS.quick : PLANS.full;
    return report(await measure(ctx, plan), plan);
  },
};
