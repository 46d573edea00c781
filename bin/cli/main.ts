// Entry of the portquorum CLI: dispatches to one command module per sub-command.
import { ConfigError } from '../../functions/shared/domain';
import packageJson from '../../package.json' with { type: 'json' };
import { EXIT, UsageError } from './usage';

interface Command {
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {
  check: async () => (await import('./check')).command,
  test: async () => (await import('./test-monitors')).command,
  local: async () => (await import('./local')).command,
  status: async () => (await import('./status')).command,
  history: async () => (await import('./history')).command,
  silence: async () => (await import('./silence')).command,
  unsilence: async () => (await import('./silence')).unsilenceCommand,
  ack: async () => (await import('./ack')).command,
  'notify-test': async () => (await import('./notify-test')).command,
  report: async () => (await import('./report')).command,
  cost: async () => (await import('./cost')).command,
};

const OVERVIEW = `portquorum — TCP port monitoring from several regions, decided by quorum

Usage: portquorum <command> [options]

Commands:
${'{{commands}}'}

Run 'portquorum <command> --help' for a command's options; 'portquorum --version' prints the version.
Monitors are declared in bin/monitors.ts (the CDK app's declarations) or a --config file.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(Object.entries(commands).map(async ([n, load]) => `  ${n.padEnd(11)}  ${(await load()).summary}`));
    process.stdout.write(`${OVERVIEW.replace('{{commands}}', lines.join('\n'))}\n`);
    return name === undefined ? EXIT.usage : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`portquorum: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')}; see portquorum --help)\n`);
    return EXIT.usage;
  }
  const command = await load();
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`portquorum ${error.message}\nSee 'portquorum ${name} --help'.\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`portquorum ${name}: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
