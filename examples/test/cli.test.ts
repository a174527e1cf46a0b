import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBucket, slowDownGets, startFaultProxy } from '@streamkpi/s3-source/testing';
import { parseCliArgs } from '../src/cli/args.js';
import { UsageError } from '../src/cli/errors.js';
import { createLogger } from '../src/cli/logger.js';
import { main } from '../src/cli/main.js';
import type { CliSummary } from '../src/cli/summary.js';
import { keys, put, useCliEmulators } from './helpers/cli-emulators.js';
import { CLI, collect, emulatorEnv, runCli, startScript } from './helpers/spawn-cli.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kpis-cli-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SONGS =
  'track_id,track_name,duration_ms,track_genre\nt1,"One, Two",1000,pop\nt2,Deux,2000,rock\n';
const STREAMS =
  'user_id,track_id,listen_time\n1,t1,2024-06-25 10:00:00\n2,t2,2024-06-25 11:00:00\nx,t1,2024-06-25 12:00:00\n';

describe('kpis flags', () => {
  const silent = createLogger('silent');
  async function usage(argv: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const code = await main(argv, {
      logger: silent,
      print: () => {},
      printError: (t) => (err += t),
    });
    return { code, err };
  }

  it('exits 2 naming an unknown flag', async () => {
    const r = await usage(['run', '--bucket', 'b1b', '--table', 'ttt', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--bogus/);
  });

  it('exits 2 naming a missing required flag', async () => {
    assert.match((await usage(['run', '--table', 'ttt'])).err, /missing required flag --bucket/);
    assert.match((await usage(['local', '--input', 'x'])).err, /missing required flag --out/);
    assert.match((await usage(['generate'])).err, /missing required flag --out/);
  });

  it('exits 2 for bad values and names the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--bucket', 'bbb', '--table', 'ttt', '--concurrency', 'zero'], /--concurrency/],
      [['watch', '--bucket', 'bbb', '--table', 'ttt', '--interval', '-1'], /--interval/],
      [['local', '--input', 'x', '--out', '-', '--time-zone', 'Mars/Base'], /--time-zone/],
      [['generate', '--out', 'x', '--dirty', '1.5'], /--dirty/],
      [
        ['run', '--bucket', 'bbb', '--table', 'ttt', '--alert-webhook', 'ftp://x'],
        /--alert-webhook/,
      ],
      [['frobnicate'], /Unknown command "frobnicate"/],
    ];
    for (const [argv, message] of cases) {
      const r = await usage(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, message);
    }
  });

  it('parses every documented flag of run and turns a bare prefix into a folder', () => {
    const args = parseCliArgs([
      'watch',
      '--bucket=data-bucket',
      '--prefix',
      'incoming',
      '--table',
      'kpis',
      '--archive-bucket',
      'cold-bucket',
      '--archive-prefix',
      'old/',
      '--time-zone',
      'Europe/Paris',
      '--concurrency',
      '4',
      '--threads',
      '1',
      '--unique-listeners',
      'hll',
      '--s3-force-path-style',
      '--summary-json',
      's.json',
      '--interval',
      '30',
      '--alert-webhook',
      'https://hooks.example.com/x',
    ]);
    assert.deepEqual(args, {
      command: 'watch',
      bucket: 'data-bucket',
      prefix: 'incoming/',
      table: 'kpis',
      archiveBucket: 'cold-bucket',
      archivePrefix: 'old/',
      timeZone: 'Europe/Paris',
      sourceTimeZone: 'UTC',
      uniqueListeners: 'hll',
      concurrency: 4,
      threads: 1,
      s3ForcePathStyle: true,
      interval: 30,
      stallTimeout: 300,
      summaryJson: join(process.cwd(), 's.json'),
      alertWebhook: 'https://hooks.example.com/x',
      verbose: false,
    });
    assert.throws(() => parseCliArgs(['generate', '--out', 'd', '--prefix', 'p/']), UsageError);
    assert.throws(
      () => parseCliArgs(['local', '--input', 'd', '--out', '-', '--unique-listeners', 'approx']),
      /--unique-listeners to be exact or hll/,
    );
    assert.throws(
      () => parseCliArgs(['local', '--input', 'd', '--out', '-', '--threads', '-1']),
      /--threads/,
    );
    const bounded = parseCliArgs([
      'run',
      '--bucket',
      'data-bucket',
      '--table',
      'kpis',
      '--timeout',
      '600',
      '--stall-timeout',
      '20',
    ]);
    assert.equal((bounded as { timeout?: number }).timeout, 600);
    assert.equal((bounded as { stallTimeout?: number }).stallTimeout, 20);
    assert.throws(
      () => parseCliArgs(['run', '--bucket', 'b-1', '--table', 'kpis', '--stall-timeout', '0']),
      /--stall-timeout/,
    );
    const cached = parseCliArgs(['local', '--input', 'd', '--out', '-', '--reference-cache', 'c']);
    assert.equal((cached as { referenceCache?: string }).referenceCache, join(process.cwd(), 'c'));
    assert.throws(
      () => parseCliArgs(['local', '--input', 'd', '--out', '-', '--reference-cache', '']),
      /--reference-cache must not be empty/,
    );
  });

  it('prints usage with exit code 0 for --help', async () => {
    let out = '';
    const code = await main(['--help'], { logger: silent, print: (t) => (out += t) });
    assert.equal(code, 0);
    assert.match(out, /Exit codes:/);
  });

  it('exits 2 with the message on stderr as a real process', async () => {
    const r = await runCli(['run', '--bucket']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--bucket/);
    assert.equal(r.stdout, '');
  });
});

describe('kpis run against emulators', () => {
  const emu = useCliEmulators();

  it('exits 3 for an unreachable endpoint and posts the failure to the alert webhook', async () => {
    const port = await closedPort();
    emu.hook.alerts.length = 0;
    const r = await runCli(
      [
        'run',
        '--bucket',
        'nowhere',
        '--table',
        'kpis',
        '--s3-force-path-style',
        '--alert-webhook',
        emu.hook.url,
      ],
      emulatorEnv(`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}`),
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /kpis run: Cannot reach the endpoint.*ECONNREFUSED/);
    assert.equal(emu.hook.alerts.length, 1);
    const alert = emu.hook.alerts[0]!;
    assert.equal(alert.what, 'run');
    assert.equal(alert.command, 'run');
    assert.equal(alert.error.code, 'ECONNREFUSED');
    assert.ok(!Number.isNaN(Date.parse(alert.time)));
  });

  it('exits 3 naming a missing bucket', async () => {
    const r = await runCli(
      ['run', '--bucket', 'no-such-bucket', '--table', 'kpis-missing', '--s3-force-path-style'],
      emu.env,
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /Bucket not found/);
  });

  it('exits 1 when an object fails, keeps the good one, quarantines the broken one, and alerts with the object key', async () => {
    await createBucket(emu.s3, 'partly-bad');
    await put(emu.s3, 'partly-bad', 'songs/songs.csv', SONGS);
    await put(emu.s3, 'partly-bad', 'streams/good.csv', STREAMS);
    await put(emu.s3, 'partly-bad', 'streams/down.csv', STREAMS);
    await put(
      emu.s3,
      'partly-bad',
      'streams/broken.csv.gz',
      Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]),
    );
    // S3 keeps answering 503 for one object: it fails after the run's retries.
    const proxy = await startFaultProxy(emu.s3rver.endpoint);
    proxy.plan = slowDownGets('streams/down.csv');
    emu.hook.alerts.length = 0;
    const summaryPath = join(root, 'partly-bad.json');
    const r = await runCli(
      [
        'run',
        '--bucket',
        'partly-bad',
        '--table',
        'kpis-partly-bad',
        '--s3-force-path-style',
        '--alert-webhook',
        emu.hook.url,
        '--summary-json',
        summaryPath,
      ],
      { ...emu.env, AWS_ENDPOINT_URL_S3: proxy.endpoint },
    );
    await proxy.close();
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as CliSummary;
    assert.equal(summary.ok, false);
    assert.equal(summary.reference.cacheHit, false, 'no --reference-cache');
    assert.equal(summary.objects.processed, 1);
    assert.equal(summary.objects.rejected, 1);
    assert.equal(summary.objects.failed, 1);
    assert.equal(summary.objects.archived, 1);
    assert.equal(summary.rowsRead, 3);
    assert.equal(summary.rowsRejected, 1);
    assert.equal(summary.itemsWritten, 2);
    assert.equal(summary.failures.length, 1);
    assert.equal(summary.failures[0]?.object, 'streams/down.csv');
    assert.match(
      summary.failures[0]?.error ?? '',
      /streams\/down\.csv: capture failed: .*(SlowDown|injected)/,
    );
    assert.match(r.stdout, /FINISHED WITH FAILURES/);
    const objectAlerts = emu.hook.alerts.filter((a) => a.what === 'object');
    assert.ok(objectAlerts.length >= 1);
    assert.equal(objectAlerts[0]?.object, 's3://partly-bad/streams/down.csv');
    assert.deepEqual(await keys(emu.s3, 'partly-bad', 'streams/'), ['streams/down.csv']);
  });

  it('watch processes objects as they arrive and stops cleanly on SIGINT with exit 130', async () => {
    await createBucket(emu.s3, 'watched');
    await put(emu.s3, 'watched', 'songs/songs.csv', SONGS);
    await put(emu.s3, 'watched', 'streams/first.csv', STREAMS);
    const summaryPath = join(root, 'watch.json');
    const child = startScript(
      CLI,
      [
        'watch',
        '--bucket',
        'watched',
        '--table',
        'kpis-watched',
        '--s3-force-path-style',
        '--interval',
        '1',
        '--summary-json',
        summaryPath,
      ],
      emu.env,
    );
    const done = collect(child);
    // Archived = copied under archive/ and deleted from streams/, which the
    // child's pass line follows. The next put waits for that line, so the
    // second file is found by a later pass than the first.
    let stdout = '';
    child.stdout?.on('data', (d: Buffer | string) => {
      stdout += String(d);
    });
    const archived = async (n: number) => {
      const passes = () => stdout.match(/pass \d+: 1 committed/g)?.length ?? 0;
      for (let i = 0; i < 600 && passes() < n; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      return (await keys(emu.s3, 'watched', 'archive/')).length;
    };
    assert.equal(await archived(1), 1);
    await put(
      emu.s3,
      'watched',
      'streams/second.csv',
      STREAMS.replaceAll('2024-06-25', '2024-06-26'),
    );
    assert.equal(await archived(2), 2);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /kpis watch: stopped after \d+ passes/);
    // One timestamped line per pass.
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, r.stdout);
    for (const line of lines) {
      assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ pass \d+: /);
    }
    assert.match(
      r.stdout,
      /pass 1: 1 committed, 0 quarantined, 0 failed · 3 rows \(1 rejected\) · 1 date/,
    );
    assert.doesNotMatch(r.stdout, /rows aggregated/, 'no full summary without -v');
    const items = await emu.dynalite
      .documentClient()
      .send(new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: 'kpis-watched' }));
    assert.deepEqual(
      (items.Items ?? []).map((i) => `${String(i.date)} ${String(i.track_genre)}`).sort(),
      ['2024-06-25 pop', '2024-06-25 rock', '2024-06-26 pop', '2024-06-26 rock'],
    );
    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as CliSummary;
    assert.equal(summary.command, 'watch');
  });
});

describe('kpis local', () => {
  it('writes NDJSON to stdout with --out - and the summary to stderr', async () => {
    const dir = join(root, 'local');
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(join(dir, 'streams'), { recursive: true }),
    );
    await writeFile(join(dir, 'songs.csv'), SONGS);
    await writeFile(join(dir, 'streams/a.csv'), STREAMS);
    const deadLetter = join(root, 'local-dead.ndjson');
    const r = await runCli(['local', '--input', dir, '--out', '-', '--dead-letter', deadLetter]);
    assert.equal(r.code, 0, r.stderr);
    const items = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      items.map((i) => [
        i.track_genre,
        i.listen_count,
        i.avg_listening_time_per_user,
        i.top_3_songs,
      ]),
      [
        ['pop', 1, '1.00', 'One, Two'],
        ['rock', 1, '2.00', 'Deux'],
      ],
    );
    assert.match(r.stderr, /rows rejected\s+1 \(invalid_user_id 1\)/);
    assert.equal((await readFile(deadLetter, 'utf8')).trim().split('\n').length, 1);
  });

  it('says in the summary and its JSON whether --reference-cache served the lookup tables', async () => {
    const dir = join(root, 'local-cached');
    await mkdir(join(dir, 'streams'), { recursive: true });
    await writeFile(join(dir, 'songs.csv'), SONGS);
    await writeFile(join(dir, 'streams/a.csv'), STREAMS);
    const cache = join(root, 'local-cache');
    const summaryPath = join(root, 'local-cached.json');
    const run = () =>
      runCli([
        'local',
        '--input',
        dir,
        '--out',
        join(root, 'local-cached.ndjson'),
        '--reference-cache',
        cache,
        '--summary-json',
        summaryPath,
      ]);
    const summaryOf = async () =>
      (JSON.parse(await readFile(summaryPath, 'utf8')) as CliSummary).reference;
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    const built = await summaryOf();
    assert.equal(built.cacheHit, false);
    assert.doesNotMatch(first.stdout, /from the reference cache/);
    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    // Read back, the tables report the rows their build counted.
    assert.deepEqual(await summaryOf(), { ...built, cacheHit: true });
    assert.match(second.stdout, /lookup tables .*; from the reference cache/);
  });

  it('exits 3 when the input folder does not exist', async () => {
    const r = await runCli([
      'local',
      '--input',
      join(root, 'nope'),
      '--out',
      join(root, 'nope.ndjson'),
    ]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /Input folder not found/);
  });
});
