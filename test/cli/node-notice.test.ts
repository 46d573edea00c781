// The Node.js story on the command line: one line of ours instead of the AWS SDK's nine, and the SDK's switch hides both.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** The Node.js major that AWS SDK releases from January 2027 require. */
const SDK_NODE_MAJOR = 22;
const oldNode = Number(process.versions.node.split('.')[0]) < SDK_NODE_MAJOR;

let closed: Server;
let endpoint: string;

beforeAll(async () => {
  // A server that drops every connection: `status` builds a real DynamoDB client (where the SDK would warn) and fails fast.
  closed = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((resolve) => closed.close(() => resolve())));

/** `portquorum status` against the loopback endpoint, with the SDK's switch as given (undefined: not set at all). */
function status(switchValue: string | undefined) {
  return runCli(['status', '--endpoint', endpoint, '--table', 'portquorum'], {
    env: { [SWITCH]: switchValue, AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'eu-west-1' },
  });
}

describe(`portquorum on Node.js ${process.versions.node}`, () => {
  it(oldNode ? 'says in one line that the SDK will need Node.js 22, never the SDK\'s own notice' : 'says nothing about the Node.js version', async () => {
    const r = await status(undefined);
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    const notices = r.stderr.split('\n').filter((line) => line.includes(`Node ${SDK_NODE_MAJOR}+`));
    expect(notices).toHaveLength(oldNode ? 1 : 0);
    if (oldNode) expect(notices[0]).toBe(`portquorum: Node ${process.versions.node} works, but AWS SDK releases from 2027 need Node ${SDK_NODE_MAJOR}+; upgrade when you can (${SWITCH}=true hides this)`);
    // The command itself ran: it reached the endpoint and said what failed.
    expect(r.stderr).toContain('reading table portquorum failed');
  });

  it('says nothing about it when the SDK\'s switch is set', async () => {
    const r = await status('true');
    expect(r.stderr).not.toContain(`Node ${SDK_NODE_MAJOR}+`);
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    expect(r.stderr).toContain('reading table portquorum failed');
  });

  it('keeps --help and --version free of it', async () => {
    for (const args of [['status', '--help'], ['--version']]) {
      const r = await runCli(args, { env: { [SWITCH]: undefined } });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });
});
