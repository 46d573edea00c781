// One run of `portquorum local`: the screen and alert sinks, the fleet started and watched until Ctrl-C, --duration
// or a failure, and the demo's timeline beside it.
import type { AlertKind } from '../../functions/shared/domain';
import type { AlertMessage } from '../../functions/shared/domain/alert';
import { DEFAULT_DEMO, DEMOS } from '../local/demos';
import { DEMO_SWEEP_EVERY_SECONDS } from '../local/demo';
import { startLocalFleet, type LocalFleet } from '../local/fleet';
import { Screen } from '../local/screen';
import { JsonLinesSink, TerminalSink, WebhookSink, type AlertSink } from '../local/sinks';
import type { LocalRunPlan } from './local-plan';
import { EXIT } from './usage';

/** The run's settings from the command line (already checked). */
export interface SessionSettings {
  statePath: string;
  alertsFile?: string;
  webhooks: URL[];
  dataDir?: string;
  table?: string;
  /** Stop by itself after this many seconds. @default run until a signal */
  durationSeconds?: number;
  sweepEverySeconds?: number;
  /** Loopback port of the status page. @default a free one */
  statusPagePort?: number;
  /** The home-region watchdog's staleness in minutes. @default 5 */
  watchdogStaleAfterMinutes?: number;
  /** Plain log lines even on a terminal. */
  plain: boolean;
}

/** Runs the fleet until it stops; the exit code: 0 stopped on request, 1 it failed to start or failed while running. */
export async function runLocalSession(plan: LocalRunPlan, settings: SessionSettings): Promise<number> {
  // The SDK's notice that its Node 20 support ends would print into the live view; `portquorum test` still shows it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const screen = new Screen(plan.config, process.stdout, settings.plain ? 'log' : 'auto', plan.title);
  const sinks = alertSinks(screen, settings);
  screen.say(`starting: DynamoDB Local, ${plan.config.regions.length} region workers (${plan.netns === 'on' ? 'each in its own network namespace' : 'sharing this machine\'s network'}), aggregator and sweeper…`);
  if (plan.netns === 'off' && plan.demo) screen.say(`region faults are off: ${plan.support.supported ? '--no-netns given' : plan.support.reason}`);
  screen.start();

  const alerts = new AlertWaiters();
  // Ctrl-C and --duration count from the command's start: a stop asked for during start-up gives the start up.
  const run = runBounds(settings.durationSeconds);
  let fleet: LocalFleet;
  try {
    fleet = await startLocalFleet({
      signal: run.abort.signal, restoreSteering: !plan.demo,
      fleet: plan.config, targets: plan.targets, ...(plan.canary ? { canary: plan.canary } : {}), netns: plan.netns, sinks, statePath: settings.statePath,
      ...(settings.dataDir ? { dataDir: settings.dataDir } : {}),
      ...(settings.table ? { table: settings.table } : {}),
      ...(settings.statusPagePort !== undefined ? { statusPagePort: settings.statusPagePort } : {}),
      ...(settings.watchdogStaleAfterMinutes !== undefined ? { watchdogStaleAfterMinutes: settings.watchdogStaleAfterMinutes } : {}),
      ...(settings.alertsFile ? { alertsFile: settings.alertsFile } : {}),
      ...(settings.sweepEverySeconds ?? (plan.demo ? DEMO_SWEEP_EVERY_SECONDS : undefined) ? { sweepEverySeconds: settings.sweepEverySeconds ?? DEMO_SWEEP_EVERY_SECONDS } : {}),
      onEvent: (event) => {
        screen.handle(event);
        if (event.kind === 'alert') alerts.offer(event.alert);
      },
    });
  } catch (error) {
    run.release();
    screen.stop();
    if (run.abort.signal.aborted) {
      process.stdout.write(`portquorum local: stopped while starting (${String(run.abort.signal.reason)}); nothing left running\n`);
      return EXIT.up;
    }
    process.stderr.write(`portquorum local: could not start the fleet: ${(error as Error).message}\n`);
    return EXIT.unreadable;
  }
  screen.say(`running: table ${fleet.table} at ${fleet.endpoint}; alerts → ${sinks.map((s) => s.name).join(', ')}`);
  screen.say(`status page: ${fleet.statusPageUrl} (its data: ${fleet.statusPageUrl}status.json)`);
  screen.say(`steer it from another terminal: portquorum local ${plan.targets.length > 0 ? `target ${plan.targets[0]!.name} down | ` : ''}${plan.netns === 'on' ? `fault ${plan.config.regions[0]} blackhole | ` : ''}status`);
  return watch(fleet, plan, screen, alerts, run);
}

/** The run's end: the first stop signal, or --duration counted from the command's start (process start). */
interface RunBounds {
  abort: AbortController;
  /** Removes the signal handlers and the timer. */
  release(): void;
}

function runBounds(durationSeconds: number | undefined): RunBounds {
  const abort = new AbortController();
  const releaseSignals = onStopSignals((signal) => abort.abort(signal));
  const timer = durationSeconds === undefined
    ? undefined
    : setTimeout(() => abort.abort(`--duration ${durationSeconds} s reached`), Math.max(0, durationSeconds * 1000 - performance.now()));
  return {
    abort,
    release() {
      if (timer) clearTimeout(timer);
      releaseSignals();
    },
  };
}

function alertSinks(screen: Screen, settings: SessionSettings): AlertSink[] {
  return [
    new TerminalSink((alert) => screen.showAlert(alert)),
    ...(settings.alertsFile ? [new JsonLinesSink(settings.alertsFile)] : []),
    ...settings.webhooks.map((url) => new WebhookSink(url)),
  ];
}

/** Waits for the fleet to stop: on a signal, at --duration, or by itself (a failure, exit 1). Runs the demo meanwhile. */
async function watch(fleet: LocalFleet, plan: LocalRunPlan, screen: Screen, alerts: AlertWaiters, run: RunBounds): Promise<number> {
  const { signal } = run.abort;
  const stopNow = async () => {
    screen.say(`stopping (${String(signal.reason)}): the workers, the stream poller, the sweeper, DynamoDB Local${plan.netns === 'on' ? ', the namespaces' : ''}, one line each…`);
    await fleet.stop();
  };
  if (signal.aborted) void stopNow();
  else signal.addEventListener('abort', () => void stopNow(), { once: true });
  if (plan.demo) {
    void DEMOS[plan.demoName ?? DEFAULT_DEMO].run({
      regionFaults: plan.netns === 'on' ? { supported: true } : { supported: false, reason: plan.support.supported ? 'the fleet runs with --no-netns' : plan.support.reason },
      setTarget: (name, state) => fleet.setTarget(name, state),
      setTargetIn: (region, name, state) => fleet.setTargetIn(region, name, state),
      fault: (region, f) => fleet.fault(region, f),
      nextAlert: (kind, timeoutMs, abortSignal) => alerts.next(kind, timeoutMs, abortSignal),
      say: (line) => screen.say(line),
    }, signal);
  }

  await fleet.stopped;
  run.release();
  screen.say('stopped; nothing left running');
  screen.stop();
  // Stopped by itself (a part failed): not a query's "not UP", so 2.
  const code = signal.aborted ? EXIT.up : EXIT.unreadable;
  // Work a part abandoned at its deadline may still be in flight (failing fast now); it does not hold the exit.
  setTimeout(() => process.exit(code), EXIT_AFTER_STOP_MS).unref();
  return code;
}

/** How long the process may take to exit by itself once the fleet has stopped. */
const EXIT_AFTER_STOP_MS = 1000;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Calls `stop` on the first SIGINT, SIGTERM or SIGHUP; a second one exits at once. Returns a function removing the handlers. */
function onStopSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    // A second Ctrl-C means now: the exit hook still kills workers and removes namespaces.
    if (interrupts > 1) process.exit(130);
    stop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
}

/** Lets the demo's timeline wait for the next alert of a kind. */
class AlertWaiters {
  private readonly waiters = new Set<(alert: AlertMessage) => void>();

  offer(alert: AlertMessage): void {
    for (const waiter of [...this.waiters]) waiter(alert);
  }

  /** The next alert of this kind, or undefined at the timeout or when the signal aborts. */
  next(kind: AlertKind, timeoutMs: number, signal: AbortSignal): Promise<AlertMessage | undefined> {
    return new Promise((done) => {
      const finish = (alert?: AlertMessage) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal.removeEventListener('abort', onAbort);
        done(alert);
      };
      const waiter = (alert: AlertMessage) => {
        if (alert.kind === kind) finish(alert);
      };
      const onAbort = () => finish();
      const timer = setTimeout(() => finish(), timeoutMs);
      this.waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
