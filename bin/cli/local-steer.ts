// `portquorum local fault …` and `portquorum local target …`: steer the running local fleet through its control socket.
import { sendControl, type ControlReply } from '../local/control';
import { parseFault } from '../local/netns';
import { findRunningFleet } from '../local/state-file';
import { TARGET_STATES, type TargetState } from '../local/targets';
import { EXIT, UsageError } from './usage';

/** Runs `fault REGION …` or `target NAME …` (the words after `local`) against the fleet recorded at statePath. */
export async function steerLocalFleet(words: string[], statePath: string): Promise<number> {
  const [sub, name, ...rest] = words;
  const found = await findRunningFleet(statePath);
  if (sub === 'fault' && name === 'sns') {
    const [state, ...extra] = rest;
    if ((state !== 'down' && state !== 'up') || extra.length > 0) throw new UsageError(`local fault sns: say 'down' or 'up' (got '${rest.join(' ')}')`);
    if ('error' in found) return fail(found.error);
    return report(await sendControl(found.state.controlSocket, { op: 'sns', state }));
  }
  if (sub === 'fault' && name === 'home') {
    const [state, ...extra] = rest;
    if ((state !== 'down' && state !== 'up') || extra.length > 0) throw new UsageError(`local fault home: say 'down' or 'up' (got '${rest.join(' ')}')`);
    if ('error' in found) return fail(found.error);
    return report(await sendControl(found.state.controlSocket, { op: 'home', state }));
  }
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
  return EXIT.unreadable;
}

function report(reply: ControlReply): number {
  if (reply.ok) {
    process.stdout.write(`${reply.message}\n`);
    return 0;
  }
  return fail(reply.error);
}
