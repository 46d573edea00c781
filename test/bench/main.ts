// `npm run bench`: runs the registered benchmark sections, prints their tables and writes docs/benchmarks.md.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine';
import type { BenchSection, SectionReport } from './lib/section';
import { markdownTable, textTable } from './lib/table';
import { probeSection } from './probe';

/** Sections run in this order. Add a section (aggregator, detection, cold start, synth) by appending its module here. */
const SECTIONS: BenchSection[] = [probeSection];

const USAGE = `usage: npm run bench -- [--quick] [--only NAME[,NAME]] [--no-write]
  --quick      every section shrinks its counts so the whole bench takes under a minute
  --only       run only these sections (${SECTIONS.map((s) => s.name).join(', ')})
  --no-write   print the tables but leave docs/benchmarks.md alone`;

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

  const versions: Record<string, string> = { node: machine.node };
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
    const path = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
    writeFileSync(path, [
      '# Benchmarks',
      '',
      'Written by `npm run bench` (test/bench/main.ts); do not edit by hand, run it again. Every figure is measured',
      'on the machine below in one run; nothing is copied from elsewhere. Loopback only.',
      '',
      '## Machine',
      '',
      markdownTable(machineTable),
      '',
      ...reports.map(({ report }) => report.markdown),
    ].join('\n'));
    log(`wrote ${path}`);
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
