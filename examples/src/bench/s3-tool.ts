/**
 * The `s3` tool of the benchmark: the emulators (s3rver → dynalite) in
 * their own process, a fresh bucket with the dataset uploaded before each
 * run (not timed), and the written KPI items scanned back for the check.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { uploadDirectory } from '../generate/index.js';
import { EXAMPLES } from './options.js';

/** The emulators' process and its endpoints. */
export interface Emulators {
  readonly s3: string;
  readonly dynamodb: string;
  readonly child: ChildProcess;
  /** The emulators' process CPU time so far (user + system), microseconds. */
  cpuUs(): Promise<number>;
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Starts `emulators-child.ts` and reads its endpoints. One readline iterator
 * stays open over the child's stdout for the later `cpu` answers (a
 * `for await` that returns would close it).
 */
export async function startEmulators(): Promise<Emulators> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(EXAMPLES, 'src/bench/emulators-child.ts')],
    { cwd: EXAMPLES, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  /** The next stdout line that is a JSON object, or an error once stdout ends. */
  async function nextObject(): Promise<Record<string, unknown>> {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error('the emulators child closed its stdout');
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
      } catch {
        // Not one of our lines (an emulator's log); skip it.
      }
    }
  }
  const endpoints = await nextObject();
  if (typeof endpoints.s3 !== 'string' || typeof endpoints.dynamodb !== 'string') {
    throw new Error(`emulators child printed no endpoints: ${JSON.stringify(endpoints)}`);
  }
  return {
    s3: endpoints.s3,
    dynamodb: endpoints.dynamodb,
    child,
    async cpuUs() {
      child.stdin!.write('cpu\n');
      for (;;) {
        const answer = await nextObject();
        if (typeof answer.cpuUs === 'number') return answer.cpuUs;
      }
    },
  };
}

/**
 * A fresh bucket holding the dataset `dir` and a table name for one run:
 * the command's `{bucket}` and `{table}`, and the environment that points
 * the CLI at the emulators.
 */
export async function prepareS3Run(
  emulators: Emulators,
  dir: string,
  tag: string,
): Promise<{ vars: { bucket: string; table: string }; env: Record<string, string> }> {
  const bucket = `bench-${tag}-${Date.now() % 100_000}`;
  const s3 = new S3Client({
    endpoint: emulators.s3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await uploadDirectory({ client: s3, bucket, dir });
  s3.destroy();
  return {
    vars: { bucket, table: `kpis-${bucket}` },
    env: {
      AWS_ENDPOINT_URL_S3: emulators.s3,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodb,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
  };
}

/** Every item of a DynamoDB table (numbers as strings, as written). */
export async function scanTable(
  endpoint: string,
  table: string,
): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials }),
    { unmarshallOptions: { wrapNumbers: true } },
  );
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: table })) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  }
  client.destroy();
  return items;
}
