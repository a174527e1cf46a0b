/**
 * Child-process entry of the exactly-once tests: one `runKpis` over
 * `RUN_BUCKET` into `RUN_TABLE`, against `AWS_ENDPOINT_URL_S3` /
 * `AWS_ENDPOINT_URL_DYNAMODB` (emulators, or the parent's killing proxy).
 * `RUN_CLAIM_TTL_MS` and `RUN_THREADS` set those options when given.
 * With `RUN_BARRIER=1` it prints `ready` and waits for a `go` line on stdin.
 * Prints `summary <json>`; exits 0 when the run was ok, 1 otherwise.
 */
import { once } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { runKpis } from '../../src/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`run-kpis-child: ${name} is not set`);
  return value;
};

// Client settings written out (not imported from the testing modules, which load the emulators).
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const s3 = new S3Client({
  endpoint: env('AWS_ENDPOINT_URL_S3'),
  region: 'us-east-1',
  forcePathStyle: true,
  credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const dynamo = new DynamoDBClient({
  endpoint: env('AWS_ENDPOINT_URL_DYNAMODB'),
  region: 'us-east-1',
  credentials,
  maxAttempts: 3,
});

if (process.env.RUN_BARRIER === '1') {
  process.stdout.write('ready\n');
  let input = '';
  process.stdin.setEncoding('utf8');
  while (!input.includes('go\n')) {
    const [chunk] = (await once(process.stdin, 'data')) as [string];
    input += chunk;
  }
  process.stdin.pause();
}

const errors: string[] = [];
const summary = await runKpis({
  s3,
  dynamo,
  bucket: env('RUN_BUCKET'),
  tableName: env('RUN_TABLE'),
  concurrency: Number(process.env.RUN_CONCURRENCY ?? '2'),
  ...(process.env.RUN_CLAIM_TTL_MS ? { claimTtlMs: Number(process.env.RUN_CLAIM_TTL_MS) } : {}),
  ...(process.env.RUN_THREADS ? { threads: Number(process.env.RUN_THREADS) } : {}),
  onError: (error, context) => {
    errors.push(`${context.key ?? context.date ?? '?'}: ${String(error)}`);
  },
});
process.stdout.write(
  `summary ${JSON.stringify({
    ok: summary.ok,
    objects: summary.objects,
    statuses: summary.outcomes.map((o) => `${o.key}:${o.status}${o.archived ? ':archived' : ''}`),
    rowsRead: summary.streams.rowsRead,
    rowsRejected: summary.streams.rowsRejected,
    errors,
  })}\n`,
);
s3.destroy();
dynamo.destroy();
process.exitCode = summary.ok ? 0 : 1;
