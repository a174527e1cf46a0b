import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const CHILD = new URL('./helpers/pool-settle-child.ts', import.meta.url);
/** Generous: the scenario takes well under a second; a pending promise never ends. */
const BOUND_MS = 30_000;

function runChild(
  scenario: string,
): Promise<{ code: number | null; killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CHILD.pathname, scenario],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, BOUND_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, out });
    });
  });
}

for (const scenario of ['exit', 'top-level-throw', 'abort', 'fail', 'timeout']) {
  test(`pool ${scenario}: the call rejects and the process exits on its own`, async () => {
    const { code, killed, out } = await runChild(scenario);
    assert.equal(killed, false, `still running after ${BOUND_MS} ms:\n${out}`);
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`${scenario}: rejected`));
  });
}
