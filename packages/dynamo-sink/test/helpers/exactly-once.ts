/**
 * Helpers of the exactly-once tests: seeded dirty stream files with
 * overlapping dates, dataset seeding, the checks every test ends with (table
 * == oracle, archive, dead letter exactly once) and the child-process runner.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { streamRowSchema } from '@streamkpi/core';
import { createBucket } from '@streamkpi/s3-source/testing';
import { prng } from '../../../core/test/helpers/prng.js';
import { expected, listKeys, put, SONGS, songsCsv, streamsCsv, tableItems } from './e2e.js';

/** A stream file: its key (below `streams/`) and CSV body. */
export interface StreamFile {
  readonly key: string;
  readonly body: string;
}

/** Users 1–5 exist; user 6 shows up in streams only (kept, SPEC §3). */
export const USERS_CSV = 'user_id,user_name\n1,a\n2,b\n3,c\n4,d\n5,e\n';

const DATES = ['2024-06-24', '2024-06-25', '2024-06-26', '2024-06-27'];
const TRACKS = ['t1', 't2', 't3', 't4'];
const DIRTY = [
  { user_id: 'x', track_id: 't1', listen_time: '2024-06-25 10:00:00' },
  { user_id: '-3', track_id: 't2', listen_time: '2024-06-25 10:00:00' },
  { user_id: '2', track_id: 'nope', listen_time: '2024-06-26 10:00:00' },
  { user_id: '3', track_id: 't3', listen_time: '2024-13-45 99:00:00' },
  { user_id: '4', track_id: 't4', listen_time: 'not-a-date' },
  { user_id: '', track_id: '', listen_time: '' },
];

/**
 * `count` stream files of `rows` rows each, named `streams/<name><i>.csv`,
 * each spanning two or three of four dates (so files share dates), about one
 * row in six dirty (every rejection reason occurs).
 */
export function streamFiles(seed: number, count: number, rows = 12, name = 'f'): StreamFile[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const files: StreamFile[] = [];
  for (let f = 0; f < count; f++) {
    const start = Math.floor(r() * 2);
    const dates = DATES.slice(start, start + 2 + Math.floor(r() * 2));
    const out: { user_id: string | number; track_id: string; listen_time: string }[] = [];
    for (let i = 0; i < rows; i++) {
      if (r() < 1 / 6) {
        out.push(pick(DIRTY));
        continue;
      }
      const hh = String(Math.floor(r() * 24)).padStart(2, '0');
      const mm = String(Math.floor(r() * 60)).padStart(2, '0');
      const date = pick(dates);
      out.push({
        user_id: 1 + Math.floor(r() * 6),
        track_id: pick(TRACKS),
        listen_time: r() < 0.2 ? `${date}T${hh}:${mm}:07Z` : `${date} ${hh}:${mm}:07`,
      });
    }
    files.push({ key: `streams/${name}${f}.csv`, body: streamsCsv(out) });
  }
  return files;
}

/** `key#line` of every row of `files` the SPEC rejects (validation or unknown track), sorted. */
export function rejectedRows(files: readonly StreamFile[]): string[] {
  const known = new Set(SONGS.map((s) => s.track_id));
  const out: string[] = [];
  for (const file of files) {
    const [, ...lines] = file.body.trimEnd().split('\n');
    for (const [i, line] of lines.entries()) {
      const [user_id, track_id, listen_time] = line.split(',');
      const parsed = streamRowSchema.safeParse({ user_id, track_id, listen_time });
      if (!parsed.success || !known.has(parsed.data.track_id)) out.push(`${file.key}#${i + 2}`);
    }
  }
  return out.sort();
}

/** Rows of `files` (header excluded). */
export function rowCount(files: readonly StreamFile[]): number {
  return files.reduce((n, f) => n + f.body.trimEnd().split('\n').length - 1, 0);
}

/** Creates `bucket` (unless `create` is false) with songs, users, the `streams/` marker and `files`. */
export async function seedBucket(
  s3: S3Client,
  bucket: string,
  files: readonly StreamFile[],
  create = true,
): Promise<void> {
  if (create) await createBucket(s3, bucket);
  await put(s3, 'songs/songs.csv', songsCsv(), bucket);
  await put(s3, 'users/users.csv', USERS_CSV, bucket);
  await put(s3, 'streams/', '', bucket);
  for (const f of files) await put(s3, f.key, f.body, bucket);
}

/** The text of an object. */
export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await res.Body?.transformToString('utf8')) ?? '';
}

/** `source.key#line` of every entry in every `<prefix>dead-letter/` object, sorted (duplicates kept). */
export async function deadLetterRows(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const key of await listKeys(s3, bucket, `${prefix}dead-letter/`)) {
    for (const line of (await getText(s3, bucket, key)).split('\n')) {
      if (line.trim() === '') continue;
      const entry = JSON.parse(line) as { source: { key: string }; line: number };
      out.push(`${entry.source.key}#${entry.line}`);
    }
  }
  return out.sort();
}

/**
 * The end state every exactly-once test demands after all of `files` were
 * processed: the table equals the oracle over all files, every stream object
 * is archived (once, same bytes) and gone from `streams/` (marker kept), one
 * manifest per object version, and the dead letter holds each rejected row
 * exactly once.
 */
export async function assertExactlyOnce(options: {
  s3: S3Client;
  dynamo: DynamoDBClient;
  bucket: string;
  tableName: string;
  files: readonly StreamFile[];
  /** Manifests expected (object versions processed). Default: one per file. */
  manifests?: number;
}): Promise<void> {
  const { s3, dynamo, bucket, tableName, files } = options;
  assert.deepEqual(
    await tableItems(dynamo, tableName),
    expected(files.map((f) => f.body)),
    'table == oracle over all files',
  );
  assert.deepEqual(await listKeys(s3, bucket, 'streams/'), ['streams/'], 'streams/ emptied');
  const latest = new Map(files.map((f) => [f.key, f.body]));
  const archived = [...latest.keys()].map((k) => k.replace(/^streams\//, 'archive/')).sort();
  assert.deepEqual(await listKeys(s3, bucket, 'archive/'), archived, 'each object archived once');
  for (const [key, body] of latest) {
    assert.equal(await getText(s3, bucket, key.replace(/^streams\//, 'archive/')), body);
  }
  assert.equal(
    (await listKeys(s3, bucket, 'state/objects/')).length,
    options.manifests ?? files.length,
    'one manifest per object version',
  );
  assert.deepEqual(
    await deadLetterRows(s3, bucket),
    rejectedRows(files),
    'dead letter exactly once',
  );
}

/**
 * Runs `run` until no object is left to another worker's claim (a killed
 * worker's claims expire after its `claimTtlMs`), at most `maxRuns` times;
 * returns every summary. What an operator does after a crash: run again.
 */
export async function rerunUntilUnclaimed<S extends { objects: { claimed: number } }>(
  run: () => Promise<S>,
  maxRuns = 50,
): Promise<S[]> {
  const summaries: S[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const summary = await run();
    summaries.push(summary);
    if (summary.objects.claimed === 0) return summaries;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`objects still claimed after ${maxRuns} runs`);
}

/** How a child runner ended. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const CHILD = fileURLToPath(new URL('./run-kpis-child.ts', import.meta.url));

/** Environment of {@link spawnRunner}. */
export interface RunnerEnv {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly bucket: string;
  readonly tableName: string;
  /** Wait for a `go` line on stdin before running (a start barrier for several workers). */
  readonly barrier?: boolean;
  readonly concurrency?: number;
  /** `claimTtlMs` of the run (short in crash tests: a killed child's claims must expire). */
  readonly claimTtlMs?: number;
  readonly threads?: number;
}

/**
 * Runs `runKpis` in a child process (`node --conditions=source --import tsx`).
 * `child` is available at once (to kill it); `done` settles when it exits.
 */
export function spawnRunner(env: RunnerEnv): { child: ChildProcess; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_S3: env.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: env.dynamoEndpoint,
      RUN_BUCKET: env.bucket,
      RUN_TABLE: env.tableName,
      RUN_BARRIER: env.barrier === true ? '1' : '',
      RUN_CONCURRENCY: String(env.concurrency ?? 2),
      RUN_CLAIM_TTL_MS: env.claimTtlMs === undefined ? '' : String(env.claimTtlMs),
      RUN_THREADS: env.threads === undefined ? '' : String(env.threads),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Resolves once the child has printed `ready` (it then waits for `go`). */
export function whenReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer | string) => {
      seen += String(d);
      if (seen.includes('ready\n')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`child exited before ready: ${seen}`)));
  });
}

/** The summary line a child prints on success. */
export interface ChildSummary {
  readonly ok: boolean;
  readonly objects: Record<string, number>;
  readonly statuses: string[];
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly errors: string[];
}

/** Parses the `summary ` line of a child's stdout. */
export function childSummary(result: ChildResult): ChildSummary {
  const line = result.stdout.split('\n').find((l) => l.startsWith('summary '));
  assert.ok(line, `no summary from child (code ${result.code}): ${result.stderr}`);
  return JSON.parse(line.slice('summary '.length)) as ChildSummary;
}
