// A broken declaration is bad usage, never an outage: every command that reads a config exits 2 with the problems
// listed (no stack trace), because exit 1 means "a target is down" to the CI job that runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'portquorum-config-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const REGIONS = '"regions":["eu-west-1","us-east-1","ap-southeast-1"]';
const MONITOR = '{"id":"orders-db","host":"127.0.0.1","port":5432}';
const HOSTILE: [string, string, string][] = [
  ['canary: null', `{${REGIONS},"canary":null,"monitors":[${MONITOR}]}`, 'Fleet: canary must be { host, port, timeoutMs }'],
  ['a null group', `{${REGIONS},"groups":{"private":null},"monitors":[${MONITOR}]}`, "Fleet: group 'private' must be an object with regions"],
  ['a group named constructor', `{${REGIONS},"monitors":[{"id":"a","host":"127.0.0.1","port":1,"group":"constructor"}]}`, "Monitor 'a': group 'constructor' is not declared on the fleet"],
  ['deep nesting', `{${REGIONS},"monitors":[{"id":"a","host":"127.0.0.1","port":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`, "Monitor 'a': port [[[[…]]]] is not a TCP port"],
  ['1e400', `{${REGIONS},"monitors":[{"id":"a","host":"127.0.0.1","port":1e400}]}`, "Monitor 'a': port Infinity (not a finite number) is not a TCP port"],
  ['a fleet that is not an object', 'null', 'Fleet: the declaration must be an object with regions and monitors'],
  ['localTargets: [null]', `{${REGIONS},"localTargets":[null],"monitors":[${MONITOR}]}`, 'Fleet: localTargets[0] must be { name, kind, port }'],
];

describe.each(['test', 'cost', 'local', 'status'])('portquorum %s --config', (command) => {
  it.each(HOSTILE)('exits 2 on %s, naming the problem', async (name, text, message) => {
    const file = config(`${command}-${name.replace(/\W+/g, '-')}.json`, text);
    const r = await runCli([command, '--config', file], { env: { AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
  });
});

describe('a JSON config as editors save it', () => {
  it('may start with a byte order mark and carry $schema', async () => {
    const file = config('bom.json', `\uFEFF{"$schema":"./node_modules/portquorum/schema/fleet.schema.json",${REGIONS},"monitors":[${MONITOR}]}`);
    const r = await runCli(['cost', '--config', file, '--model-only', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ estimate: { monitors: 1 } });
  });
});

describe('portquorum check', () => {
  it.each([
    [['127.0.0.1:1', '--send-hex', 'zz'], "check: --send-hex <redacted: 2 bytes> is not hex bytes"],
    [['127.0.0.1:1', '--preset', 'http', '--status', '599-100'], "check: --status [599,100] is not a status code or [low, high] range"],
    [['127.0.0.1:1', '--expect-regex', '(['], "check: --expect-regex '([' is not a valid regular expression"],
    [['127.0.0.1:1', '--expect-regex', '(a+)\\1'], "check: --expect-regex '(a+)\\1' is not a valid regular expression for RE2: invalid escape sequence"],
    [['127.0.0.1:1', '--servername', '10.0.0.1', '--tls'], "check: --servername '10.0.0.1' must be a DNS name"],
    [['127.0.0.1:1', '--retries', '9'], "--retries '9' must be a whole number from 0 to 5"],
  ])('exits 2 when its flags make a bad monitor: %j', async (args, message) => {
    const r = await runCli(['check', ...args]);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain("Monitor 'check'");
    expect(r.code).toBe(2);
  });
});
