// What the CLI says to a person who typed something wrong or probed a failing target: each case in
// test/fixtures/cli/messages.json paired with the exact message it must give.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { closedPort, listener } from '../support/ports';

interface Case {
  args: string[];
  code?: number;
  stderr?: string;
  stdout?: string;
}
const FIXTURES = JSON.parse(readFileSync(new URL('../fixtures/cli/messages.json', import.meta.url), 'utf8')) as { usage: Case[]; probes: Case[] };

let open: Awaited<ReturnType<typeof listener>>;
let refused: number;
beforeAll(async () => {
  open = await listener('127.0.0.1');
  refused = await closedPort();
});
afterAll(async () => open.close());

const fill = (text: string) => text.replaceAll('{refused}', String(refused)).replaceAll('{open}', String(open.port));

describe('usage messages', () => {
  it.concurrent.each(FIXTURES.usage.map((c) => [c.args.join(' '), c] as const))('%s', async (_, c) => {
    const r = await runCli(c.args, { env: { AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(r.stderr.split('\n')[0]).toBe(c.stderr);
    expect(r.stderr).not.toContain("Monitor 'check'");
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });
});

describe('probe results said for a person', () => {
  it.each(FIXTURES.probes.map((c) => [c.args.join(' '), c] as const))('%s', async (_, c) => {
    const r = await runCli(c.args.map(fill));
    const expected = fill(c.stdout!);
    expect(r.stdout.slice(0, expected.length), r.stderr).toBe(expected);
    expect(r.stdout).not.toMatch(/\b(\w+) in \1\b/); // never "dns in dns"
    expect(r.code).toBe(c.code);
  });
});
