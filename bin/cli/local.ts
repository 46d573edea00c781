// `portquorum local`: the whole fleet on this machine (a demo with no arguments), and `local fault` / `local target` to steer it.
import { resolve } from 'node:path';
import { defaultStatePath } from '../local/state-file';
import { planLocalRun, type NetnsChoice } from './local-plan';
import { runLocalSession, type SessionSettings } from './local-session';
import { steerLocalFleet } from './local-steer';
import { UsageError, intFlag, parse } from './usage';

const HELP = `Usage: portquorum local [options]
       portquorum local --demo outage|flapping|exposure|incident|diverged|watch [options]
       portquorum local fault REGION blackhole|loss PCT|clear [--state FILE]
       portquorum local fault sns down|up [--state FILE]
       portquorum local target NAME up|down|blackhole [--state FILE]

Runs the whole fleet on this machine, offline: DynamoDB Local with the tables the CDK stack creates, one
worker process per region running the real probe handler once a minute (rounds aligned to the wall
clock) for the region's public probes and for each probe group placed there (in the region's network),
the real aggregator fed by the table's real stream, the real sweeper every minute, and alerts
to the terminal, a JSON-lines file or a webhook. Ctrl-C stops everything it started, part by part
(workers first, DynamoDB Local last), one line each; if the fleet is killed, its children die with it.

With no --config it runs a demo: regions eu-west-1, us-east-1 and ap-southeast-1 probe three loopback
services it serves itself (web/http, ssh/banner, cache/tcp) every 10 s, quorum 2. After ~15 s 'web'
goes down (a DOWN alert ~2 rounds later), comes back (an UP alert), then ap-southeast-1 is cut off
(iptables DROP in its network namespace): its canary fails, its rounds are vetoed, and the other two
regions still make quorum, so no monitor alert; the sweeper (every 10 s in the demo) pages the fleet
(FLEET_DEGRADED) once two whole minutes have failed, about 2.5 minutes later, and FLEET_RECOVERED
follows two healthy minutes after the reconnection: about seven minutes in all. Region faults need
--netns (root on Linux); without it the demo says so and skips that step.

Options:
  --demo NAME          run one demo scenario: outage (the one above, the default), flapping (a
                       service bouncing every round: DOWN/UP pages, one FLAPPING alert, pages held,
                       one FLAPPING_SETTLED that pages DOWN), exposure (a private port opens in
                       one region's namespace only: one EXPOSED alert, then EXPOSURE_CLOSED; needs
                       --netns), incident (three services behind one address fail together: one
                       INCIDENT, a dependent joins it, one INCIDENT_RESOLVED), diverged (one
                       region's namespace serves a stale certificate: one DIVERGED alert with each
                       region's view, then CONVERGED; needs --netns), watch (a watched service
                       at 60 s rounds is killed between rounds: DOWN within about a second,
                       cause watch; UP at the next good round)
  --config FILE        run these declarations instead of the demo: a JSON FleetSpec or a .ts/.js
                       module exporting 'fleet'. '--config bin/monitors.ts' runs the CDK app's own
                       monitors. A declaration may carry "localTargets": [{ "name", "kind":
                       tcp|banner|http, "port" }] — loopback services the fleet serves itself
                       (switch them with 'local target'); portquorum local drops the key before
                       validating, the CDK app never sees it
  --data DIR           keep DynamoDB Local's data in DIR across runs, created if missing (default: in
                       memory)
  --table NAME         table name (default portquorum)
  --alerts-file FILE   also append every alert to FILE, one JSON object per line (the SNS body)
  --webhook URL        also POST every alert to URL as JSON (the SNS body plus 'text' = subject, for
                       chat incoming webhooks); repeatable. A failing sink keeps the alert pending and
                       the sweeper retries it, so nothing is lost
  --duration SECONDS   stop by itself this long after the command started (default: run until Ctrl-C)
  --netns              run each region in its own network namespace (ip netns), reaching DynamoDB
                       through a UNIX socket, so one region can be cut off with 'local fault'. Each
                       namespace has only its own loopback: served targets (demo, localTargets) and a
                       loopback canary are replicated into every namespace; other targets are
                       unreachable there, so a config with any other target is refused at start
                       (naming it) rather than paged DOWN. Default: on for the demo when root on
                       Linux with ip and iptables, off with --config
  --no-netns           regions share this machine's network (no region faults)
  --state FILE         where this fleet records itself for 'local fault', 'local target' and
                       'status' (default ~/.portquorum/local.json, or $PORTQUORUM_LOCAL_STATE); it
                       keeps target switches and region faults for the next run, and what this run
                       started, so the next run stops what a killed one left
  --sweep-every SECONDS
                       run the sweeper this often (default 60, the deployed schedule; 10 in the demo). The sweeper
                       closes a minute's rounds 80 s after it ends, so fleet alerts take ~2-3 minutes;
                       a shorter period trims up to a minute off that
  --watchdog-stale-after MINUTES
                       the home-region watchdog: each region reads the sweeper's heartbeat once an
                       invocation and, when a quorum of regions (with their canaries fine) sees it
                       older than this, sends one HOME_DOWN (HOME_RECOVERED when it returns) to the
                       alert sinks, standing in for the fallback topic (default 5, as deployed; 2-60)
  --page-port PORT     serve the status page on 127.0.0.1:PORT (default: a free port); the URL is
                       printed at start. The same page the sweeper renders for a deployed fleet's
                       statusPage, every monitor shown when the declarations have none
  --plain              plain log lines even on a terminal (default: a live table on a TTY)
  -h, --help           show this help

Subcommands (talk to the running fleet found through --state):
  fault REGION blackhole    drop every packet on the region's loopback (targets and canary)
  fault REGION loss PCT     drop PCT percent of them at random
  fault REGION clear        remove the region's fault
  fault sns down            make every alert delivery fail (as SNS in an outage): alerts stay pending
  fault sns up              deliver again: the sweeper sends what is pending, each once, in order
  fault home down           stop the home pipeline (the aggregator and the sweeper): no verdicts, no
                            heartbeat; the regions' watchdog pages HOME_DOWN once it is stale
  fault home up             start them again: HOME_RECOVERED once a region reads a new heartbeat
  target NAME up|down       take a served target (demo or localTargets) down (listener closed:
                            probes see 'refused') or bring it back
  target NAME blackhole     keep it running but drop its packets (probes see 'timeout' in connect):
                            with --netns iptables DROP in every region's namespace, otherwise a
                            full accept queue (the kernel drops new SYNs); 'up' or 'down' ends it

Exit status: 0 stopped cleanly, 2 bad usage or declarations, a fleet that could not start or failed while running,
or (local fault, local target) no local fleet running.`;

const OPTIONS = {
  config: { type: 'string' },
  demo: { type: 'string' },
  data: { type: 'string' },
  table: { type: 'string' },
  'alerts-file': { type: 'string' },
  webhook: { type: 'string', multiple: true },
  duration: { type: 'string' },
  netns: { type: 'boolean' },
  'no-netns': { type: 'boolean' },
  state: { type: 'string' },
  plain: { type: 'boolean' },
  'sweep-every': { type: 'string' },
  'page-port': { type: 'string' },
  'watchdog-stale-after': { type: 'string' },
} as const;

type LocalValues = ReturnType<typeof parse<typeof OPTIONS>>['values'];

/** The run's settings from the flags, each checked (a bad one is a UsageError naming the flag). */
function sessionSettings(values: LocalValues, statePath: string): SessionSettings {
  const durationSeconds = intFlag('local', 'duration', values.duration, 1, 7 * 86_400);
  const sweepEverySeconds = intFlag('local', 'sweep-every', values['sweep-every'], 5, 3600);
  const statusPagePort = intFlag('local', 'page-port', values['page-port'], 1, 65535);
  const watchdogStaleAfterMinutes = intFlag('local', 'watchdog-stale-after', values['watchdog-stale-after'], 2, 60);
  const webhooks = (values.webhook ?? []).map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`local: --webhook '${text}' is not a URL (e.g. http://127.0.0.1:8080/alerts)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`local: --webhook '${text}' must be http:// or https://`);
    return url;
  });
  return {
    statePath, webhooks, plain: values.plain === true,
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(sweepEverySeconds !== undefined ? { sweepEverySeconds } : {}),
    ...(statusPagePort !== undefined ? { statusPagePort } : {}),
    ...(watchdogStaleAfterMinutes !== undefined ? { watchdogStaleAfterMinutes } : {}),
    ...(values['alerts-file'] !== undefined ? { alertsFile: resolve(values['alerts-file']) } : {}),
    ...(values.data ? { dataDir: resolve(values.data) } : {}),
    ...(values.table ? { table: values.table } : {}),
  };
}

export const command = {
  summary: 'run the whole fleet on this machine (a demo without --config)',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('local', args, OPTIONS);
    const statePath = resolve(values.state ?? defaultStatePath());
    if (positionals.length > 0) {
      if (positionals[0] === 'fault' || positionals[0] === 'target') return steerLocalFleet(positionals, statePath);
      throw new UsageError(`local: unknown subcommand '${positionals[0]}' (use 'fault' or 'target', or --config FILE)`);
    }
    if (values.netns && values['no-netns']) throw new UsageError('local: --netns and --no-netns contradict each other');
    const settings = sessionSettings(values, statePath);
    const choice: NetnsChoice = values.netns ? 'on' : values['no-netns'] ? 'off' : 'default';
    return runLocalSession(await planLocalRun(values.config, choice, values.demo), settings);
  },
};
