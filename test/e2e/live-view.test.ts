// The live table of `portquorum local` in a real terminal (tmux), at 160×45 and, after a resize, at 80×24: whatever
// the event lines hold, no line wraps, the title and the header are on the screen once, the screen never scrolls;
// on Ctrl-C the normal screen comes back with the last table printed once.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import { displayWidth } from '../../bin/local/width';
import { BIN } from '../support/cli';
import { SwitchableServer, waitForAlert } from './support';

const SOCKET = `pq-view-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const SESSION = 'view';
/** A safety net: the test stops the fleet with Ctrl-C long before. */
const DURATION_S = 600;
const TITLE = /^portquorum local — /;
const EXITED = 'portquorum local exited with status';

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
/** The visible screen; joined: a line the terminal wrapped comes back as one (longer) line. */
const screen = (joined = false) => tmux('capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', SESSION).split('\n');

/** Polls the screen (tmux has no "screen changed" event) until it satisfies `ready`, or fails at the deadline with what it showed. */
async function waitForScreen(ready: (lines: string[]) => boolean, timeoutMs: number, what: string): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = screen();
    if (ready(lines)) return lines;
    const dead = tmux('display-message', '-p', '-t', SESSION, '#{pane_dead}').trim() === '1';
    if (dead && !ready(screen())) throw new Error(`portquorum local exited before the screen showed ${what}:\n${lines.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`the screen never showed ${what} within ${timeoutMs / 1000} s:\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function expectFits(columns: number, rows: number): string[] {
  const lines = screen();
  const joined = screen(true).map((l) => l.trimEnd());
  expect(lines.length).toBeLessThanOrEqual(rows + 1); // capture-pane ends with a newline
  for (const line of joined) expect(displayWidth(line), `a wrapped line: ${line}`).toBeLessThan(columns);
  expect(lines.filter((l) => TITLE.test(l)), lines.join('\n')).toHaveLength(1);
  expect(lines.filter((l) => /^MONITOR +/.test(l)), lines.join('\n')).toHaveLength(1);
  return lines;
}

describe('the live view in a real terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), `pq-e2e-view-${process.pid}-`));
  // A long path makes the 'running: … alerts → file PATH' event line wider than 160 columns: clipped, never wrapped.
  const alertsFile = join(dir, `alerts-of-the-live-view-test-${'in-a-deep-directory-'.repeat(7)}`, 'alerts.jsonl');
  const web = new SwitchableServer();
  const steady = new SwitchableServer();

  beforeAll(async () => {
    await Promise.all([web.up(), steady.up()]);
    mkdirSync(dirname(alertsFile), { recursive: true });
    const spec: FleetSpec = {
      regions: ['eu-west-1', 'us-east-1', 'ap-southeast-1'],
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 2000 },
      monitors: [
        { id: `web-frontend-${'long-name-'.repeat(4)}end`, host: '127.0.0.1', port: web.port },
        { id: 'steady', host: '127.0.0.1', port: steady.port },
      ],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec));
    const local = [process.execPath, BIN, 'local', '--config', config, '--no-netns', '--duration', String(DURATION_S),
      '--alerts-file', alertsFile, '--state', join(dir, 'local.json')].map((a) => `'${a}'`).join(' ');
    // Through a shell that prints the exit status: tmux 3.3 leaves #{pane_dead_status} empty when the pane's own
    // process took a Ctrl-C (even one it handled and then exited 0 from).
    const command = `${local}; echo "${EXITED} $?"`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '45', command);
    tmux('set-option', '-t', SESSION, 'remain-on-exit', 'on');
  });

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await Promise.all([web.down(), steady.down()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('at 160×45: a DOWN alert longer than the screen is clipped, and redraws leave no stale lines', async () => {
    const first = await waitForScreen((lines) => lines.some((l) => /^steady +.* UP +/.test(l)), 120_000, "'steady' UP");
    expect(first.find((l) => l.includes('running: table'))).toMatch(/…$/);
    expectFits(160, 45);
    await web.down();
    await waitForAlert(alertsFile, (a) => a.kind === 'DOWN', 90_000, 'DOWN');
    await waitForScreen((ls) => ls.some((l) => l.includes('ALERT DOWN web-frontend-')), 30_000, 'the DOWN alert');
    expectFits(160, 45);
    await web.up();
    await waitForAlert(alertsFile, (a) => a.kind === 'UP', 90_000, 'UP');
    await waitForScreen((ls) => ls.some((l) => l.includes('ALERT UP web-frontend-')), 30_000, 'the UP alert');
    expectFits(160, 45);
  }, 300_000);

  it('at 80×24 after a resize: the table still fits, nothing wraps, nothing scrolls', async () => {
    tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
    const lines = await waitForScreen((ls) => ls.some((l) => /^steady +/.test(l)) && ls.every((l) => l.trimEnd().length < 80), 10_000, 'the table redrawn at 80 columns');
    expectFits(80, 24);
    expect(lines.some((l) => /^web-frontend-.* UP +/.test(l) || /^web-frontend-.*…$/.test(l))).toBe(true);
  }, 60_000);

  it('on Ctrl-C, the fleet stops and the normal screen comes back with the last table printed once', async () => {
    tmux('send-keys', '-t', SESSION, 'C-c');
    const dead = () => tmux('display-message', '-p', '-t', SESSION, '#{pane_dead}').trim() === '1';
    await waitForScreen((ls) => dead() && ls.some((l) => /stopped; nothing left running/.test(l)), 60_000, 'the fleet stopped');
    // The normal screen and its scrollback (tmux's "Pane is dead" line may push the top of the table into it).
    const lines = tmux('capture-pane', '-p', '-S', '-', '-t', SESSION).split('\n');
    expect(lines.filter((l) => TITLE.test(l)), lines.join('\n')).toHaveLength(1);
    expect(lines.filter((l) => /^steady +/.test(l)), lines.join('\n')).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith(EXITED)), lines.join('\n')).toEqual([`${EXITED} 0`]);
  }, 90_000);
});
