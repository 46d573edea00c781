#!/usr/bin/env node
// The portquorum CLI: the built dist/cli in the installed package; in a checkout, the TypeScript sources through tsx (no build step).
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);

// The AWS SDK's notice (9 lines, on every process that makes a client) that its 2027 releases need Node 22: said once,
// in one line, by the commands that use the SDK. Its own switch, when set, silences ours too.
const SDK_NODE_MAJOR = 22;
const SDK_COMMANDS = ['local', 'status'];
const NOTICE_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const asksForHelp = argv.includes('--help') || argv.includes('-h');
if (Number(process.versions.node.split('.')[0]) < SDK_NODE_MAJOR && process.env[NOTICE_SWITCH] !== 'true' && SDK_COMMANDS.includes(argv[0]) && !asksForHelp) {
  process.stderr.write(`portquorum: Node ${process.versions.node} works, but AWS SDK releases from 2027 need Node ${SDK_NODE_MAJOR}+; upgrade when you can (${NOTICE_SWITCH}=true hides this)\n`);
}
process.env[NOTICE_SWITCH] = 'true';
// Without credentials, the AWS SDK's default chain would try the EC2 instance metadata address (off this machine):
// the CLI never does unless asked (AWS_EC2_METADATA_DISABLED=false, for an instance role); status says how to give credentials.
process.env.AWS_EC2_METADATA_DISABLED ??= 'true';

const source = new URL('./cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(argv);
