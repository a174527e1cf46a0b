/**
 * `kpis` as an operator runs it against S3 and DynamoDB (in-process
 * emulators): what a quarantined file means for the exit code and the
 * alerts, a quiet stderr, the progress bar, and `kpis emulators` for a
 * local session of the S3 path.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createBucket } from '@streamkpi/s3-source/testing';
import { createProgress, eta, progressText, referenceText } from '../src/cli/progress.js';
import { keys, put, useCliEmulators } from './helpers/cli-emulators.js';
import {
  CLI,
  collect,
  emulatorEnv,
  runCli,
  startScript,
  waitForOutput,
} from './helpers/spawn-cli.js';

const SONGS = 'track_id,track_name,duration_ms,track_genre\nt1,One,1000,pop\nt2,Deux,2000,rock\n';
const INTERNAL_CLASS = /\b(HeaderError|PipelineError|OptionsError|[A-Z]\w*Exception):/;

/** A stream file of `dates` days from 2024-06-20, one listen per day by `user`. */
function streams(user: number, dates: number): string {
  const rows = Array.from(
    { length: dates },
    (_, d) => `${user},t${1 + (d % 2)},2024-06-${String(20 + d).padStart(2, '0')} 10:00:00`,
  );
  return `user_id,track_id,listen_time\n${rows.join('\n')}\n`;
}

describe('kpis run with files that can never be processed', () => {
  const emu = useCliEmulators();

  it('quarantines empty, blank and header-only files, exits 0 and alerts once per file', async () => {
    const bucket = 'quarantine';
    await createBucket(emu.s3, bucket);
    await put(emu.s3, bucket, 'songs/songs.csv', SONGS);
    await put(emu.s3, bucket, 'streams/good.csv', streams(1, 2));
    await put(emu.s3, bucket, 'streams/empty.csv', '');
    await put(emu.s3, bucket, 'streams/blank.csv', '  \n\n \t\n');
    await put(emu.s3, bucket, 'streams/header-only.csv', 'user,song,when\n');
    const flags = ['--bucket', bucket, '--table', 'quarantine-kpis', '--s3-force-path-style'];
    const args = ['run', ...flags, '--threads', '0', '--alert-webhook', emu.hook.url];
    emu.hook.alerts.length = 0;

    const first = await runCli(args, emu.env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^status +ok \(3 quarantined to rejected\/\)$/m);
    for (const file of ['empty', 'blank', 'header-only']) {
      assert.match(first.stdout, new RegExp(`^quarantined +streams/${file}\\.csv: \\S`, 'm'));
    }
    assert.doesNotMatch(`${first.stdout}${first.stderr}`, INTERNAL_CLASS);
    const rejected = emu.hook.alerts.filter((a) => a.what === 'rejected');
    assert.deepEqual(rejected.map((a) => a.object).sort(), [
      `s3://${bucket}/streams/blank.csv`,
      `s3://${bucket}/streams/empty.csv`,
      `s3://${bucket}/streams/header-only.csv`,
    ]);
    assert.equal(emu.hook.alerts.length, 3, JSON.stringify(emu.hook.alerts));
    assert.deepEqual(await keys(emu.s3, bucket, 'streams/'), []);

    // The next run has nothing left to quarantine: no new alert.
    const second = await runCli(args, emu.env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(emu.hook.alerts.length, 3);
    const moved = await keys(emu.s3, bucket, 'rejected/');
    for (const file of ['empty', 'blank', 'header-only']) {
      assert.ok(moved.includes(`rejected/${file}.csv`), moved.join(', '));
      assert.ok(moved.includes(`rejected/${file}.csv.report.json`), moved.join(', '));
    }
  });

  it('prints neither the SDK’s Node-version warning nor a listener-leak warning', async () => {
    const bucket = 'quiet-run';
    await createBucket(emu.s3, bucket);
    await put(emu.s3, bucket, 'songs/songs.csv', SONGS);
    // 10 objects × 6 dates, 4 objects at a time: dozens of calls in flight at once.
    for (let f = 0; f < 10; f++) await put(emu.s3, bucket, `streams/f${f}.csv`, streams(f + 1, 6));
    const r = await runCli(
      [
        'run',
        '--bucket',
        bucket,
        '--table',
        'quiet-kpis',
        '--s3-force-path-style',
        '--threads',
        '0',
        '--concurrency',
        '4',
      ],
      { ...emu.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^objects +processed 10,/m);
    assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning|node >=22/);
    assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning|memory leak/);
    assert.doesNotMatch(r.stderr, /\(node:\d+\)/, 'no process warning at all');
  });

  it('watch -v prints the full summary after each pass’s timestamped line', async () => {
    const bucket = 'verbose-watch';
    await createBucket(emu.s3, bucket);
    await put(emu.s3, bucket, 'songs/songs.csv', SONGS);
    await put(emu.s3, bucket, 'streams/a.csv', streams(1, 2));
    const flags = ['--bucket', bucket, '--table', 'verbose-kpis', '--s3-force-path-style'];
    const child = startScript(CLI, ['watch', ...flags, '--interval', '60', '-v'], emu.env);
    const done = collect(child);
    const first = await waitForOutput(child, /^peak RSS .*\n/m);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(
      first,
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ pass 1: 1 committed, 0 quarantined, 0 failed/,
    );
    assert.match(first, /^rows aggregated +2$/m);
  });
});

describe('kpis emulators', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kpis-emulators-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints export lines that the other commands run against, and stops cleanly on Ctrl-C', async () => {
    const child = startScript(CLI, ['emulators', '--bucket', 'listening-data']);
    const done = collect(child);
    const stdout = await waitForOutput(child, /AWS_SECRET_ACCESS_KEY=\S+\n/);
    const env: Record<string, string> = {};
    for (const [, name, value] of stdout.matchAll(/^export (\w+)=(\S+)$/gm)) {
      env[name as string] = value as string;
    }
    assert.deepEqual(Object.keys(env).sort(), Object.keys(emulatorEnv('', '')).sort());
    assert.match(env.AWS_ENDPOINT_URL_S3 ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(env.AWS_ENDPOINT_URL_DYNAMODB ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      // The README's local session: generate and upload, then run.
      const s3 = ['--bucket', 'listening-data', '--s3-force-path-style'];
      const generated = await runCli(
        ['generate', '--out', join(root, 'data'), '--rows', '2000', '--files', '2', ...s3],
        env,
      );
      assert.equal(generated.code, 0, generated.stderr);
      const run = await runCli(['run', ...s3, '--table', 'kpis', '--threads', '0'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^objects +processed 2,/m);
      assert.match(run.stdout, /^rows read +2,000$/m);
    } finally {
      child.kill('SIGINT');
    }
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kpis emulators: stopped/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('kpis progress', () => {
  /** A writable that says it is a terminal and keeps what it is sent. */
  function terminal(): Writable & { isTTY: true; text(): string } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    return Object.assign(stream, { isTTY: true as const, text: () => chunks.join('') });
  }

  it('starts after the reference data with its own line, then shows objects, rows, rows/s and ETA', () => {
    const out = terminal();
    const progress = createProgress(out);
    progress.setTotal(4, 4000);
    assert.equal(out.text(), '', 'no frame before the reference data is loaded');
    progress.reference({ tracks: 1200, genres: 12, users: 300, rowsRead: 1500, durationMs: 2500 });
    assert.ok(
      out
        .text()
        .startsWith(
          'reference data loaded: 1,200 tracks in 12 genres, 300 users (1,500 rows, 2.5 s)\n',
        ),
      out.text(),
    );
    progress.update(1, 25_000, 1000);
    progress.stop();
    assert.match(out.text(), /1\/4 objects \| 25,000 rows \| [\d,]+ rows\/s \| ETA \d+s/);
    assert.doesNotMatch(out.text(), /0\/0/);
  });

  it('estimates the time left by bytes, else by objects', () => {
    const state = { objects: 1, totalObjects: 4, rowsRead: 500, elapsedMs: 10_000 };
    assert.equal(eta({ ...state, bytesRead: 250, totalBytes: 1000 }), 30);
    assert.equal(eta({ ...state, bytesRead: 0, totalBytes: 0 }), 30);
    assert.equal(eta({ ...state, objects: 0, bytesRead: 0, totalBytes: 0 }), undefined);
    assert.equal(
      progressText({ ...state, objects: 2, bytesRead: 500, totalBytes: 1000 }),
      '2/4 objects | 500 rows | 50 rows/s | ETA 10s',
    );
    assert.equal(
      referenceText({ tracks: 5, genres: 2, users: 3, rowsRead: 0, reused: true, durationMs: 1 }),
      'reference data unchanged: 5 tracks in 2 genres, 3 users',
    );
  });

  it('draws nothing when stderr is not a terminal', () => {
    const chunks: string[] = [];
    const pipe = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const progress = createProgress(pipe);
    progress.reference({ tracks: 1, genres: 1, users: 1, rowsRead: 1, durationMs: 1 });
    progress.update(1, 1, 1);
    progress.stop();
    assert.deepEqual(chunks, []);
  });
});
