// Without AWS credentials the CLI contacts nothing off this machine: the SDK's credential chain would ask the EC2
// instance metadata service, which the CLI turns off unless asked. A metadata endpoint on loopback that the test owns
// counts the requests it gets: none by default, some when the user turns the service on (so the test can see one).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult } from '../support/cli';

const dir = mkdtempSync(join(tmpdir(), `pq-cli-credentials-${process.pid}-`));
let imds: Server;
let requests = 0;
let endpoint: string;

beforeAll(async () => {
  imds = createServer((req, res) => {
    requests += 1;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(imds.address() as { port: number }).port}`;
  writeFileSync(join(dir, 'fleet.json'), JSON.stringify({ regions: ['eu-west-1'], monitors: [{ id: 'a', host: '127.0.0.1', port: 1 }] }));
});
afterAll(async () => {
  await new Promise<void>((resolve) => imds.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** `portquorum status --region` with no credentials anywhere: no AWS variables, no ~/.aws, the metadata endpoint ours. */
function statusWithoutCredentials(extra: Record<string, string>): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'status', '--region', 'eu-west-1', '--table', 'portquorum', '--config', join(dir, 'fleet.json')], { env, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('portquorum status --region without AWS credentials', () => {
  it('asks no metadata service and says how to give credentials (exit 2)', async () => {
    requests = 0;
    const r = await statusWithoutCredentials({});
    expect(r.stderr).toContain('portquorum status: no AWS credentials found to read table portquorum in eu-west-1: give them as for the AWS CLI: AWS_PROFILE=NAME');
    expect(r.stderr).toContain('AWS_EC2_METADATA_DISABLED=false');
    expect(r.code).toBe(2);
    expect(requests).toBe(0);
  });

  it('asks the metadata service only when the user turns it on', async () => {
    requests = 0;
    const r = await statusWithoutCredentials({ AWS_EC2_METADATA_DISABLED: 'false' });
    expect(r.code).toBe(2);
    expect(requests).toBeGreaterThan(0);
  });
});
