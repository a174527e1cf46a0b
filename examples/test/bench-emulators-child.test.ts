import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const CHILD = join(import.meta.dirname, '../src/bench/emulators-child.ts');

describe('emulators-child', () => {
  it('prints its endpoints, answers each `cpu` line with its CPU time, and exits when stdin ends', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const { value, done } = await lines.next();
      assert.equal(done, false, 'the child closed its stdout early');
      return JSON.parse(value as string) as Record<string, unknown>;
    };
    const endpoints = await next();
    assert.match(String(endpoints.s3), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(String(endpoints.dynamodb), /^http:\/\/127\.0\.0\.1:\d+$/);
    child.stdin.write('cpu\n');
    const first = await next();
    child.stdin.write('cpu\n');
    const second = await next();
    assert.equal(typeof first.cpuUs, 'number');
    assert.ok((first.cpuUs as number) > 0);
    assert.ok((second.cpuUs as number) >= (first.cpuUs as number));
    child.stdin.end();
    assert.equal(await exited, 0);
  });
});
