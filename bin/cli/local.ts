// `portquorum local`: the whole fleet on this machine (a demo with no arguments), and `local fault` / `local target` to steer it.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { resolveFleet, type AlertKind, type FleetSpec } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { defaultStatePath, findRunningFleet, sendControl } from '../local/control';
import { DEMO_INTERVAL_SECONDS, demoFleet, demoTargets, runDemoTimeline } from '../local/demo';
import { startLocalFleet, type LocalFleet, type NetnsMode } from '../local/fleet';
import { netnsSupport, parseFault } from '../local/netns';
import { Screen } from '../local/screen';
import { JsonLinesSink, TerminalSink, WebhookSink, type AlertSink } from '../local/sinks';
import { freePorts, TARGET_KINDS, TARGET_STATES, type LocalTarget, type TargetState } from '../local/targets';
import { loadFleetSpec } from './declarations';
import { EXIT, UsageError, intFlag, parse } from './usage';

const HELP = `Usage: portquorum local [options]
       portquorum local fault REGION blackhole|loss PCT|clear [--state FILE]
       portquorum local target NAME up|down|blackhole [--state FILE]

Runs the whole fleet on this machine, offline: DynamoDB Local with the tables the CDK stack creates, one
worker process per region running the real probe handler once a minute (rounds aligned to the wall
clock), the real aggregator fed by the table's real stream, the real sweeper every minute, and alerts
to the terminal, a JSON-lines file or a webhook. Ctrl-C stops everything it started.

With no --config it runs a demo: regions eu-west-1, us-east-1 and ap-southeast-1 probe three loopback
services it serves itself (web/http, ssh/banner, cache/tcp) every 10 s, quorum 2. After ~15 s 'web'
goes down (a DOWN alert ~2 rounds later), comes back (an UP alert), then ap-southeast-1 is cut off
(iptables DROP in its network namespace): its canary fails, its rounds are vetoed, and the other two
regions still make quorum, so no monitor alert. Region faults need --netns (root on Linux); without
it the demo says so and skips that step.

Options:
  --config FILE        run these declarations instead of the demo: a JSON FleetSpec or a .ts/.js
                       module exporting 'fleet'. '--config bin/monitors.ts' runs the CDK app's own
                       monitors. A declaration may carry "localTargets": [{ "name", "kind":
                       tcp|banner|http, "port" }] — loopback services the fleet serves itself
                       (switch them with 'local target'); portquorum local drops the key before
                       validating, the CDK app never sees it
  --data DIR           keep DynamoDB Local's data in DIR across runs (default: a temp dir, removed)
  --table NAME         table name (default portquorum)
  --alerts-file FILE   also append every alert to FILE, one JSON object per line (the SNS body)
  --webhook URL        also POST every alert to URL as JSON (the SNS body plus 'text' = subject, for
                       chat incoming webhooks); repeatable. A failing sink keeps the alert pending and
                       the sweeper retries it, so nothing is lost
  --duration SECONDS   stop by itself after this long (default: run until Ctrl-C)
  --netns              run each region in its own network namespace (ip netns), reaching DynamoDB
                       through a UNIX socket, so one region can be cut off with 'local fault'. Each
                       namespace has only its own loopback: served targets (demo, localTargets) and a
                       loopback canary are replicated into every namespace; other targets are
                       unreachable there. Default: on for the demo when root on Linux with ip and
                       iptables, off with --config
  --no-netns           regions share this machine's network (no region faults)
  --state FILE         where this fleet records itself for 'local fault', 'local target' and
                       'status' (default ~/.portquorum/local.json, or $PORTQUORUM_LOCAL_STATE)
  --sweep-every SECONDS
                       run the sweeper this often (default 60, the deployed schedule). The sweeper
                       closes a minute's rounds 80 s after it ends, so fleet alerts take ~2-3 minutes;
                       a shorter period trims up to a minute off that
  --plain              plain log lines even on a terminal (default: a live table on a TTY)
  -h, --help           show this help

Subcommands (talk to the running fleet found through --state):
  fault REGION blackhole    drop every packet on the region's loopback (targets and canary)
  fault REGION loss PCT     drop PCT percent of them at random
  fault REGION clear        remove the region's fault
  target NAME up|down       take a served target (demo or localTargets) down (listener closed:
                            probes see 'refused') or bring it back
  target NAME blackhole     keep it running but drop its packets (probes see 'timeout' in connect):
                            with --netns iptables DROP in every region's namespace, otherwise a
                            full accept queue (the kernel drops new SYNs); 'up' or 'down' ends it

Exit status: 0 stopped cleanly, 1 the fleet failed while running, 2 bad usage or declarations.`;

const OPTIONS = {
  config: { type: 'string' },
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
} as const;

/** A declaration file may name loopback services the local fleet serves itself; the key never reaches validation. */
function splitLocalTargets(spec: FleetSpec & { localTargets?: unknown }, source: string): { spec: FleetSpec; targets: LocalTarget[] } {
  const { localTargets, ...rest } = spec;
  if (localTargets === undefined) return { spec: rest, targets: [] };
  if (!Array.isArray(localTargets)) throw new UsageError(`local: localTargets in ${source} must be a list of { name, kind, port }`);
  const targets = localTargets.map((t: Partial<LocalTarget>, i): LocalTarget => {
    const where = `localTargets[${i}] in ${source}`;
    if (typeof t?.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(t.name)) throw new UsageError(`local: ${where}: name must be lowercase letters, digits, '.', '_' or '-'`);
    if (!TARGET_KINDS.includes(t.kind as never)) throw new UsageError(`local: ${where} ('${t.name}'): kind must be one of ${TARGET_KINDS.join(', ')}`);
    if (!Number.isInteger(t.port) || t.port! < 1 || t.port! > 65535) throw new UsageError(`local: ${where} ('${t.name}'): port must be a whole number from 1 to 65535`);
    if (t.host !== undefined && !['127.0.0.1', '::1'].includes(t.host)) throw new UsageError(`local: ${where} ('${t.name}'): host must be 127.0.0.1 or ::1 (served targets live on loopback)`);
    return { name: t.name, kind: t.kind!, port: t.port!, ...(t.host ? { host: t.host } : {}) };
  });
  return { spec: rest, targets };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

async function runSubcommand(words: string[], statePath: string): Promise<number> {
  const [sub, name, ...rest] = words;
  const found = await findRunningFleet(statePath);
  if (sub === 'fault') {
    if (!name) throw new UsageError('local fault: name a region, e.g. portquorum local fault us-east-1 blackhole');
    const fault = parseFault(rest);
    if ('error' in fault) throw new UsageError(`local fault: ${fault.error}`);
    if ('error' in found) return fail(found.error);
    if (!found.state.regions.includes(name)) throw new UsageError(`local fault: no region '${name}' in the running fleet (regions: ${found.state.regions.join(', ')})`);
    return report(await sendControl(found.state.controlSocket, { op: 'fault', region: name, fault }));
  }
  if (!name) throw new UsageError('local target: name a served target, e.g. portquorum local target web down');
  const [state, ...extra] = rest;
  if (!TARGET_STATES.includes(state as TargetState) || extra.length > 0) throw new UsageError(`local target: say 'up', 'down' or 'blackhole' after the target's name (got '${rest.join(' ')}')`);
  if ('error' in found) return fail(found.error);
  return report(await sendControl(found.state.controlSocket, { op: 'target', name, state: state as TargetState }));
}

function fail(message: string): number {
  process.stderr.write(`portquorum local: ${message}\n`);
  return EXIT.down;
}

function report(reply: { ok: true; message: string } | { ok: false; error: string }): number {
  if (reply.ok) {
    process.stdout.write(`${reply.message}\n`);
    return 0;
  }
  return fail(reply.error);
}

export const command = {
  summary: 'run the whole fleet on this machine (a demo without --config)',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse('local', args, OPTIONS);
    const statePath = resolve(values.state ?? defaultStatePath());
    if (positionals.length > 0) {
      if (positionals[0] === 'fault' || positionals[0] === 'target') return runSubcommand(positionals, statePath);
      throw new UsageError(`local: unknown subcommand '${positionals[0]}' (use 'fault' or 'target', or --config FILE)`);
    }
    if (values.netns && values['no-netns']) throw new UsageError('local: --netns and --no-netns contradict each other');
    const duration = intFlag('local', 'duration', values.duration, 1, 7 * 86_400);
    const sweepEvery = intFlag('local', 'sweep-every', values['sweep-every'], 5, 3600);
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

    // What to run: the demo, or the user's declarations.
    const demo = values.config === undefined;
    let spec: FleetSpec;
    let targets: LocalTarget[];
    let canary: LocalTarget | undefined;
    let title: string;
    if (demo) {
      const [web, ssh, cache, canaryPort] = await freePorts(4);
      const ports = { web: web!, ssh: ssh!, cache: cache!, canary: canaryPort! };
      spec = demoFleet(ports);
      ({ targets, canary } = demoTargets(ports));
      title = `portquorum local — demo: 3 regions, ${DEMO_INTERVAL_SECONDS} s rounds, quorum 2`;
    } else {
      const loaded = await loadFleetSpec(values.config);
      ({ spec, targets } = splitLocalTargets(loaded.spec as FleetSpec & { localTargets?: unknown }, loaded.source));
      title = `portquorum local — ${loaded.source}`;
    }
    const config = resolveFleet(spec);

    const support = netnsSupport();
    let netns: NetnsMode;
    if (values.netns) {
      if (!support.supported) throw new UsageError(`local: --netns: ${support.reason}`);
      netns = 'on';
    } else if (values['no-netns'] || !demo) netns = 'off';
    else netns = support.supported ? 'on' : 'off';
    // A namespace's loopback has nothing on it: a loopback canary must be served there, or every region is vetoed.
    if (netns === 'on' && config.canary && isLoopback(config.canary.host) && !targets.some((t) => t.port === config.canary!.port) && !canary) {
      canary = { name: 'canary', kind: 'tcp', port: config.canary.port };
    }

    // The SDK's notice that its Node 20 support ends would print into the live view; `portquorum test` still shows it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const screen = new Screen(config, process.stdout, values.plain ? 'log' : 'auto', title);
    const sinks: AlertSink[] = [new TerminalSink((alert) => screen.showAlert(alert))];
    const alertsFile = values['alerts-file'] === undefined ? undefined : resolve(values['alerts-file']);
    if (alertsFile) sinks.push(new JsonLinesSink(alertsFile));
    for (const url of webhooks) sinks.push(new WebhookSink(url));

    screen.say(`starting: DynamoDB Local, ${config.regions.length} region workers (${netns === 'on' ? 'each in its own network namespace' : 'sharing this machine\'s network'}), aggregator and sweeper…`);
    if (netns === 'off' && demo) screen.say(`region faults are off: ${support.supported ? '--no-netns given' : support.reason}`);
    screen.start();

    const alertWaiters = new Set<(alert: AlertMessage) => void>();
    const nextAlert = (kind: AlertKind, timeoutMs: number, signal: AbortSignal) => new Promise<AlertMessage | undefined>((done) => {
      const finish = (alert?: AlertMessage) => {
        clearTimeout(timer);
        alertWaiters.delete(waiter);
        signal.removeEventListener('abort', onAbort);
        done(alert);
      };
      const waiter = (alert: AlertMessage) => {
        if (alert.kind === kind) finish(alert);
      };
      const onAbort = () => finish();
      const timer = setTimeout(() => finish(), timeoutMs);
      alertWaiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });

    let fleet: LocalFleet;
    try {
      fleet = await startLocalFleet({
        fleet: config, targets, ...(canary ? { canary } : {}), netns, sinks, statePath,
        ...(values.data ? { dataDir: resolve(values.data) } : {}),
        ...(values.table ? { table: values.table } : {}),
        ...(alertsFile ? { alertsFile } : {}),
        ...(sweepEvery ? { sweepEverySeconds: sweepEvery } : {}),
        onEvent: (event) => {
          screen.handle(event);
          if (event.kind === 'alert') for (const waiter of [...alertWaiters]) waiter(event.alert);
        },
      });
    } catch (error) {
      screen.stop();
      process.stderr.write(`portquorum local: could not start the fleet: ${(error as Error).message}\n`);
      return EXIT.down;
    }
    screen.say(`running: table ${fleet.table} at ${fleet.endpoint}; alerts → ${sinks.map((s) => s.name).join(', ')}`);
    screen.say(`steer it from another terminal: portquorum local ${targets.length > 0 ? `target ${targets[0]!.name} down | ` : ''}${netns === 'on' ? `fault ${config.regions[0]} blackhole | ` : ''}status`);

    const abort = new AbortController();
    let exitCode: number = EXIT.up;
    const stopNow = async (why: string) => {
      if (abort.signal.aborted) return;
      abort.abort();
      screen.say(`stopping (${why}): workers, stream poller, sweeper, DynamoDB Local${netns === 'on' ? ', namespaces' : ''}…`);
      await fleet.stop();
    };
    let interrupts = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      interrupts += 1;
      // A second Ctrl-C means now: the exit hook still kills workers and removes namespaces.
      if (interrupts > 1) process.exit(130);
      void stopNow(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    const timer = duration === undefined ? undefined : setTimeout(() => void stopNow(`--duration ${duration} s reached`), duration * 1000);

    if (demo) {
      void runDemoTimeline({
        regionFaults: netns === 'on' ? { supported: true } : { supported: false, reason: support.supported ? 'the fleet runs with --no-netns' : support.reason },
        setTarget: (name, state) => fleet.setTarget(name, state),
        fault: (region, f) => fleet.fault(region, f),
        nextAlert,
        say: (line) => screen.say(line),
      }, abort.signal);
    }

    await fleet.stopped;
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    if (!abort.signal.aborted) exitCode = EXIT.down;
    screen.say('stopped; nothing left running');
    screen.stop();
    return exitCode;
  },
};
