/**
 * `kpis dashboard` as an operator starts it: the real CLI in a child
 * process, AWS settings from the environment, against dynalite and s3rver.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { useCliEmulators } from './helpers/cli-emulators.js';
import { CLI, collect, runCli, startScript, waitForOutput } from './helpers/spawn-cli.js';

describe('kpis dashboard', () => {
  const emu = useCliEmulators({ buckets: ['dashboard-cli'] });

  it('refuses bad flags with exit 2 and a message naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [[], /kpis dashboard: missing required flag --table/],
      [
        ['--table', 'kpis', '--port', 'eighty'],
        /Expected --port to be an integer from 0 to 65535, got "eighty"/,
      ],
      [
        ['--table', 'kpis', '--port', '70000'],
        /Expected --port to be an integer from 0 to 65535, got "70000"/,
      ],
      [['--table', 'kpis', '--prefix', 'p/'], /--prefix needs --bucket/],
      [['--table', 'kpis', '--colour'], /kpis dashboard: unknown flag --colour/],
      [['--table', 'kpis', '--prot', '0'], /unknown flag --prot \(did you mean --port\?\)/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['dashboard', ...args], emu.env);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('prints its usage with --help, and the CLI usage lists it', async () => {
    const r = await runCli(['dashboard', '--help']);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^Usage: kpis dashboard --table T \[--bucket B \[--prefix P\]\] \[flags\]/,
    );
    assert.match(r.stdout, /--s3-force-path-style/);
    const top = await runCli(['--help']);
    assert.match(top.stdout, /^ {2}dashboard +A page with the KPIs/m);
  });

  it('serves on 127.0.0.1 before the table exists, says so, and stops on Ctrl-C with exit 0', async () => {
    const child = startScript(
      CLI,
      [
        'dashboard',
        '--table',
        'not_yet_created',
        '--bucket',
        'dashboard-cli',
        '--port',
        '0',
        '--s3-force-path-style',
      ],
      emu.env,
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    try {
      const started =
        /^Dashboard of table not_yet_created at (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C to stop\)$/m;
      const url = started.exec(await waitForOutput(child, started))?.[1] ?? '';
      assert.match(stderr, /the table does not exist yet/);
      const dates = await fetch(`${url}api/dates`);
      assert.equal(dates.status, 404);
      const body = (await dates.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'TABLE_NOT_FOUND');
      const page = await fetch(url);
      assert.equal(page.status, 200);
      child.kill('SIGINT');
      const end = await collect(child);
      assert.equal(end.code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 3 when the port is taken or DynamoDB cannot be reached', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = await runCli(['dashboard', '--table', 'kpis', '--port', String(port)], emu.env);
      assert.equal(busy.code, 3);
      assert.match(busy.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    const down = await runCli(['dashboard', '--table', 'kpis', '--port', '0'], {
      ...emu.env,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
      AWS_MAX_ATTEMPTS: '1',
    });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /Cannot reach the endpoint/);
  });
});
