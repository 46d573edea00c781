// `npm run bench`: runs the registered benchmark sections, prints their tables, and merges what they measured into
// docs/benchmarks.json (figures for `portquorum cost`) and docs/benchmarks.md (rendered from every section measured so far).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MEASURED_SCHEMA_VERSION, parseMeasured, type MeasuredFile } from '../../lib/pricing/measured';
import { aggregatorSection } from './aggregator';
import { capacitySection } from './capacity';
import { coldStartSection } from './coldstart';
import { detectionSection } from './detection';
import { machineInfo } from './lib/machine';
import type { BenchSection, SectionReport } from './lib/section';
import { markdownTable, textTable } from './lib/table';
import { probeSection } from './probe';
import { scaleSection } from './scale';
import { synthSection } from './synth';
import { watchSection } from './watch';

/** Sections run in this order (and appear in docs/benchmarks.md in it). */
const SECTIONS: BenchSection[] = [probeSection, capacitySection, aggregatorSection, scaleSection, detectionSection, watchSection, coldStartSection, synthSection];

const JSON_PATH = fileURLToPath(new URL('../../docs/benchmarks.json', import.meta.url));
const MD_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

const USAGE = `usage: npm run bench -- [--quick] [--only NAME[,NAME]] [--no-write]
  --quick      every section shrinks its counts: the whole bench takes about a minute (a smoke run;
               the local fleet's start-up and one 10 s round bound the detection section)
  --only       run only these sections (${SECTIONS.map((s) => s.name).join(', ')})
  --no-write   print the tables but leave docs/benchmarks.{md,json} alone
Sections not run keep what an earlier run measured (each says its own date, mode and commit).`;

interface Args {
  quick: boolean;
  only?: string[];
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, write: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--no-write') args.write = false;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice('--only='.length) : argv[++i];
      if (!value) throw new UsageError('--only needs a section name');
      args.only = value.split(',').map((s) => s.trim());
      const unknown = args.only.filter((n) => !SECTIONS.some((s) => s.name === n));
      if (unknown.length) throw new UsageError(`unknown section ${unknown.join(', ')}`);
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument '${arg}'`);
  }
  return args;
}

class UsageError extends Error {}

/** The machine block's own rows; every other row is a tool version some section reported. */
const MACHINE_KEYS = ['date', 'mode', 'CPU', 'cores', 'memory', 'OS / kernel', 'portquorum commit', 'node'];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sections = SECTIONS.filter((s) => !args.only || args.only.includes(s.name));
  const started = new Date();
  const t0 = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);
  };
  const machine = machineInfo();
  log(`bench (${args.quick ? 'quick' : 'full'}) on ${machine.cpuModel}, ${machine.cores} cores: ${sections.map((s) => s.name).join(', ')}`);

  const reports: Array<{ section: BenchSection; report: SectionReport }> = [];
  for (const section of sections) {
    log(`section ${section.name}: ${section.title}`);
    const report = await section.run({ quick: args.quick, log });
    reports.push({ section, report });
    console.log(`\n${report.text}\n`);
  }
  const elapsed = (performance.now() - t0) / 1000;
  log(`done in ${elapsed.toFixed(0)} s`);

  const previous: MeasuredFile | undefined = args.write && existsSync(JSON_PATH) ? parseMeasured(readFileSync(JSON_PATH, 'utf8')) : undefined;
  // A partial run (--only) keeps the tool versions the sections it did not run measured against (e.g. DynamoDB Local).
  const kept = Object.entries(previous?.machine ?? {}).filter(([key]) => !MACHINE_KEYS.includes(key));
  const versions: Record<string, string> = { ...Object.fromEntries(kept), node: machine.node };
  for (const { report } of reports) Object.assign(versions, report.versions);
  const machineTable = {
    header: ['', ''],
    rows: [
      ['date', started.toISOString()],
      ['mode', `${args.quick ? '--quick' : 'full'} (${elapsed.toFixed(0)} s)`],
      ['CPU', machine.cpuModel],
      ['cores', String(machine.cores)],
      ['memory', `${machine.memoryGiB} GiB`],
      ['OS / kernel', `${machine.os} / ${machine.kernel}`],
      ['portquorum commit', machine.commit],
      ...Object.entries(versions).map(([tool, version]) => [tool, version]),
    ],
  };
  console.log(textTable(machineTable));

  if (args.write) {
    const measured: MeasuredFile = {
      schemaVersion: MEASURED_SCHEMA_VERSION,
      machine: Object.fromEntries(machineTable.rows.map(([k, v]) => [k!, v!])),
      sections: {},
      figures: { ...previous?.figures },
    };
    for (const section of SECTIONS) {
      const fresh = reports.find((r) => r.section === section);
      if (fresh) {
        measured.sections[section.name] = { markdown: fresh.report.markdown, measuredAt: started.toISOString(), mode: args.quick ? 'quick' : 'full', commit: machine.commit };
        Object.assign(measured.figures, fresh.report.figures);
      } else if (previous?.sections[section.name]) {
        measured.sections[section.name] = previous.sections[section.name]!;
      }
    }
    writeFileSync(JSON_PATH, `${JSON.stringify(measured, null, 2)}\n`);
    writeFileSync(MD_PATH, [
      '# Benchmarks',
      '',
      'Written by `npm run bench` (test/bench/main.ts); do not edit by hand, run it again. Every figure is measured',
      'on the machine below; nothing is copied from elsewhere. Loopback only. The same figures, machine-readable, are in',
      '`docs/benchmarks.json` (what `portquorum cost` reads).',
      '',
      '## Machine (latest run)',
      '',
      markdownTable(machineTable),
      '',
      ...SECTIONS.flatMap((section) => {
        const m = measured.sections[section.name];
        return m ? [m.markdown, '', `<sub>Section \`${section.name}\` measured ${m.measuredAt} (${m.mode}, commit ${m.commit}).</sub>`, ''] : [];
      }),
    ].join('\n'));
    log(`wrote ${MD_PATH} and ${JSON_PATH}`);
  }
}

main().then(
  // Servers and sockets the sections started are stopped by them; exit explicitly in case a handle lingers.
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
