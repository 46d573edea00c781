// The README agrees with the code: its alert examples are what the verdict machines produce, its attribute table is
// what SNS gets, and it names every CLI command.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '../../functions/shared/domain';
import { alertAttributes } from '../../functions/shared/domain/alert';
import { runCli } from '../support/cli';
import { alertExamples, watchDownExample } from './alert-examples';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const EXAMPLE = readFileSync(new URL('../../examples/basic/app.ts', import.meta.url), 'utf8');

/** The first ```json block after a `#### KIND` heading. */
function exampleFor(kind: string): unknown {
  const heading = README.indexOf(`\n#### ${kind}\n`);
  if (heading < 0) throw new Error(`README has no '#### ${kind}' example`);
  const block = /```json\n([\s\S]*?)\n```/.exec(README.slice(heading));
  if (!block) throw new Error(`README's '#### ${kind}' has no json block`);
  return JSON.parse(block[1]!);
}

describe('README', () => {
  const examples = alertExamples();

  it.each(ALERT_KINDS)('shows the %s alert exactly as the verdict machine builds it', (kind) => {
    expect(exampleFor(kind)).toEqual(JSON.parse(JSON.stringify(examples[kind])));
  });

  it('shows a DOWN that watch mode brought forward exactly as the verdict machine builds it', () => {
    expect(exampleFor('DOWN (watch mode)')).toEqual(JSON.parse(JSON.stringify(watchDownExample())));
  });

  it('lists exactly the message attributes a DOWN alert carries', () => {
    const names = Object.keys(alertAttributes(examples.DOWN)).map((n) => (n.startsWith('tag.') ? 'tag.<key>' : n));
    const section = README.slice(README.indexOf('| Attribute |'), README.indexOf('\n\n', README.indexOf('| Attribute |')));
    const documented = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...new Set(names)]);
  });

  it('shows examples/basic/app.ts whole, but its first line (what the file holds), as the ProbeFleet example', () => {
    // The example is type-checked here (tsconfig paths) and installed, type-checked and synthesized by test/e2e/package.test.ts.
    const body = EXAMPLE.slice(EXAMPLE.indexOf('\n') + 1);
    expect(body).toContain("import { ProbeFleet } from 'portquorum';");
    const section = README.slice(README.indexOf('## Using portquorum in your CDK app'));
    expect(section).toContain(`\`\`\`ts\n${body}\`\`\`\n`);
  });

  it('names every command the CLI has', async () => {
    const help = await runCli(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}([\w-]+) {2,}/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands).toContain('notify-test');
    for (const command of commands) expect(README).toContain(`portquorum ${command}`);
  });
});
