// The probe side of the exposure audit: a private monitor's port that accepts a connection is reported with the
// address it reached and the first line the service sent, which the verdict machine reads back (openPath).
import { afterAll, describe, expect, it } from 'vitest';
import { probeMonitor } from '../../../functions/probe/engine';
import { toRoundResult } from '../../../functions/shared/domain/record';
import { openPath } from '../../../functions/shared/domain/exposure';
import { bannerServer, closedPort, silentServer, type FixtureServer } from '../../support/tcp-servers';
import { expectDown, expectUp, monitor } from './helpers';

const fixtures: FixtureServer[] = [];
afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

describe("exposure: 'private'", () => {
  it('a refused port is closed: up, nothing to report', async () => {
    const up = expectUp(await probeMonitor(monitor({ port: await closedPort(), exposure: 'private' })));
    expect(up.portOpen).toBe(false);
  });

  it('a port that answers is open: the address and the banner it sent', async () => {
    const server = await bannerServer("SSH-2.0-OpenSSH_9.2p1 'x'\r\nmore\r\n");
    fixtures.push(server);
    const down = expectDown(await probeMonitor(monitor({ port: server.port, exposure: 'private', retries: 0 })));
    expect(down).toMatchObject({ errorClass: 'protocol', code: 'EXPECTED_CLOSED', phase: 'connect', portOpen: true });
    expect(openPath('eu-west-1', toRoundResult(down))).toEqual({ region: 'eu-west-1', address: `127.0.0.1:${server.port}`, answered: 'SSH-2.0-OpenSSH_9.2p1 ’x’' });
  });

  it('a port that accepts and stays silent is open too, reported without a banner', async () => {
    const server = await silentServer();
    fixtures.push(server);
    const down = expectDown(await probeMonitor(monitor({ port: server.port, exposure: 'private', retries: 0 })));
    expect(openPath('eu-west-1', toRoundResult(down))).toEqual({ region: 'eu-west-1', address: `127.0.0.1:${server.port}` });
  });
});
