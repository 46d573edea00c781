// The fleet's run directory: the declarations the workers load, paths for sockets and logs inside it, gone when stopped.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveFleet } from '../../functions/shared/domain';
import { createRunDir, RUN_DIR_PREFIX } from '../../bin/local/run-dir';

describe('run directory', () => {
  it('holds the resolved declarations and every socket and log path, and is removed on stop', async () => {
    const fleet = resolveFleet({ regions: ['eu-west-1', 'us-east-1'], monitors: [{ id: 'web', host: '127.0.0.1', port: 8080 }] });
    const dir = await createRunDir(fleet);
    expect(dir.path).toContain(RUN_DIR_PREFIX);
    expect(JSON.parse(readFileSync(dir.fleetFile, 'utf8'))).toEqual(JSON.parse(JSON.stringify(fleet)));
    for (const path of [dir.fleetFile, dir.logFile('eu-west-1'), dir.socket('control'), dir.socket('dynamodb')]) expect(dirname(path)).toBe(dir.path);
    expect(new Set([dir.logFile('eu-west-1'), dir.logFile('us-east-1'), dir.socket('control'), dir.socket('dynamodb')]).size).toBe(4);
    await dir.stop(Date.now() + 1000);
    expect(existsSync(dir.path)).toBe(false);
  });
});
