/**
 * The Lambda handler from its TypeScript source, end to end: real S3 event
 * JSON (URL-encoded key, `+` for space) directly and wrapped in SQS messages,
 * through `handler` configured only by environment variables, against
 * s3rver + dynalite over HTTP. (The bundled asset is tested in
 * `examples/aws-cdk/test`.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { listRunRecords } from '@streamkpi/dynamo-sink';
import {
  expected,
  LISTENS,
  listKeys,
  put as putObject,
  songsCsv,
  tableItems,
} from '../../packages/dynamo-sink/test/helpers/e2e.js';
import {
  type SilentServer,
  startSilentServer,
} from '../../packages/s3-source/test/helpers/silent-server.js';
import { runtimeFromEnv } from '../src/lambda/environment.js';
import { createKpiHandler } from '../src/lambda/handler.js';
import { handler as lambdaHandler } from '../src/lambda-handler.js';
import { useCliEmulators } from './helpers/cli-emulators.js';
import { applyEmulatorEnv } from './helpers/emulator-env.js';
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from './helpers/lambda-payloads.js';

const BUCKET = 'lambda-bucket';
const BOUNDED_BUCKET = 'lambda-bounded';
const TABLE = 'lambda-kpis';
const KEY_A = 'streams/June 25 + more.csv';
const KEY_B = 'streams/day two (b)+c.csv';
const { a: FILE_A, b: FILE_B } = LISTENS;
const emu = useCliEmulators({ buckets: [BUCKET, BOUNDED_BUCKET] });

/** An `ObjectCreated:Put` notification as S3 delivers it to Lambda. */
const s3Event = (key: string) => s3Notification(BUCKET, key, '2024-06-25T21:00:00.000Z');

/** The notification of `key` wrapped in one SQS message. */
const inSqs = (messageId: string, key: string) =>
  sqsEvent(sqsRecord(messageId, JSON.stringify(s3Event(key))));

/** The handler with a fresh request id per call. */
let calls = 0;
/** What the tests read of a result (an SQS response or a run summary). */
interface Result {
  readonly batchItemFailures?: ReadonlyArray<{ readonly itemIdentifier: string }>;
  readonly processed?: number;
  readonly skipped?: number;
  readonly objects?: number;
  readonly rowsRead?: number;
  readonly ok?: boolean;
}
const handler = async (event: unknown): Promise<Result> =>
  lambdaHandler(
    event as Parameters<typeof lambdaHandler>[0],
    lambdaContext(`req-${++calls}`, 60_000) as unknown as Parameters<typeof lambdaHandler>[1],
  );

describe('Lambda handler example', () => {
  let restoreEnv: (() => void) | undefined;
  const keys = (prefix: string) => listKeys(emu.s3, BUCKET, prefix);
  const put = (key: string, body: string) => putObject(emu.s3, key, body, BUCKET);

  before(async () => {
    // Everything the handler needs comes from the environment, as on Lambda.
    restoreEnv = applyEmulatorEnv(
      { s3: emu.s3rver.endpoint, dynamodb: emu.dynalite.endpoint },
      { KPI_TABLE: TABLE },
    );
    await put('songs/songs.csv', songsCsv());
    await put('users/users.csv', 'user_id,user_name\n1,a\n2,b\n3,c\n');
    await put('streams/', '');
  });

  after(async () => {
    restoreEnv?.();
  });

  it('processes a direct S3 event whose key has spaces and a plus sign, and archives the object', async () => {
    await put(KEY_A, FILE_A);
    const event = s3Event(KEY_A);
    assert.equal(event.Records[0]?.s3.object.key, 'streams/June+25+%2B+more.csv');

    const result = await handler(event);

    assert.equal(result.processed, 1);
    assert.equal(result.ok, true);
    assert.equal(result.rowsRead, 4);
    assert.deepEqual(await tableItems(emu.dynalite.documentClient(), TABLE), expected([FILE_A]));
    assert.deepEqual(await keys('streams/'), ['streams/']);
    assert.deepEqual(await keys('archive/'), ['archive/June 25 + more.csv']);
    assert.equal((await keys('dead-letter/')).length, 1);
  });

  it('processes an SQS-wrapped S3 event and merges it with what is already committed', async () => {
    await put(KEY_B, FILE_B);

    const result = await handler(inSqs('msg-b', KEY_B));

    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(
      await tableItems(emu.dynalite.documentClient(), TABLE),
      expected([FILE_A, FILE_B]),
    );
    assert.deepEqual(await keys('archive/'), [
      'archive/June 25 + more.csv',
      'archive/day two (b)+c.csv',
    ]);
  });

  it('treats a re-delivered event for an archived object as done and changes nothing', async () => {
    const before = await tableItems(emu.dynalite.documentClient(), TABLE);

    const direct = await handler(s3Event(KEY_A));
    const queued = await handler(inSqs('msg-a-again', KEY_A));

    assert.deepEqual([direct.processed, direct.skipped], [0, 1]);
    assert.deepEqual(queued.batchItemFailures, []);
    assert.deepEqual(await tableItems(emu.dynalite.documentClient(), TABLE), before);
  });

  it('skips objects outside streams/ and reports an unparseable SQS message as a batch item failure', async () => {
    const songs = await handler(s3Event('songs/songs.csv'));
    assert.equal(songs.objects, 0);
    assert.deepEqual(await keys('songs/'), ['songs/songs.csv']);

    const bad = await handler(
      sqsEvent(sqsRecord('ok', JSON.stringify(s3Event(KEY_A))), sqsRecord('broken', '{not json')),
    );
    assert.deepEqual(bad.batchItemFailures, [{ itemIdentifier: 'broken' }]);
  });

  it('fails the record of an object that cannot be processed, so Lambda retries it', async () => {
    // Never uploaded and never committed: not a duplicate, a failure.
    const missing = 'streams/never uploaded.csv';
    await assert.rejects(handler(s3Event(missing)), /never uploaded\.csv/);
    const queued = await handler(inSqs('msg-missing', missing));
    assert.deepEqual(queued.batchItemFailures, [{ itemIdentifier: 'msg-missing' }]);
  });
});

describe('Lambda handler environment', () => {
  it('takes the state table from KPI_STATE_TABLE, else leaves the runner its default', () => {
    const named = runtimeFromEnv({ KPI_TABLE: 'kpis', KPI_STATE_TABLE: 'kpi-commits' });
    assert.equal(named.settings.stateTableName, 'kpi-commits');
    assert.equal(named.settings.tableName, 'kpis');
    assert.equal(runtimeFromEnv({ KPI_TABLE: 'kpis' }).settings.stateTableName, undefined);
  });

  it('names a bad KPI_STATE_TABLE in the error', () => {
    assert.throws(
      () => runtimeFromEnv({ KPI_TABLE: 'kpis', KPI_STATE_TABLE: 'no spaces' }),
      (error: unknown) =>
        error instanceof Error &&
        (error as Error & { code?: string }).code === 'INVALID_OPTIONS' &&
        /KPI_STATE_TABLE: Expected KPI_STATE_TABLE to name the state table/.test(error.message),
    );
  });

  it('names a request timeout that is not a whole number of milliseconds in the error', () => {
    assert.throws(
      () => runtimeFromEnv({ KPI_TABLE: 'kpis', HTTP_REQUEST_TIMEOUT_MS: '2.5s' }),
      /HTTP_REQUEST_TIMEOUT_MS: Expected HTTP_REQUEST_TIMEOUT_MS to be a whole number of milliseconds/,
    );
  });
});

describe('Lambda handler bounded waits', () => {
  const bucket = BOUNDED_BUCKET;
  let silent: SilentServer;
  before(async () => {
    silent = await startSilentServer();
    await putObject(emu.s3, 'songs/songs.csv', songsCsv(), bucket);
    await putObject(emu.s3, KEY_A, FILE_A, bucket);
  });
  after(async () => {
    await silent?.close();
  });

  /** A runtime from the environment with both timeouts at 300 ms, its endpoints as given. */
  function boundedRuntime(endpoints: { s3: string; dynamodb: string }) {
    const restore = applyEmulatorEnv(endpoints, {
      KPI_TABLE: 'lambda-bounded-kpis',
      HTTP_CONNECTION_TIMEOUT_MS: '300',
      HTTP_REQUEST_TIMEOUT_MS: '300',
    });
    const rt = runtimeFromEnv();
    return {
      rt,
      close() {
        rt.s3.destroy();
        rt.dynamo.destroy();
        restore();
      },
    };
  }

  it('a DynamoDB endpoint that never answers fails the run with REQUEST_TIMEOUT naming the request, and its run record says failed with that code', async () => {
    const { rt, close } = boundedRuntime({ s3: emu.s3rver.endpoint, dynamodb: silent.endpoint });
    try {
      const handle = createKpiHandler(rt);
      await assert.rejects(
        handle(
          s3Notification(bucket, KEY_A),
          lambdaContext('req-bounded-1', 60_000) as unknown as Parameters<typeof handle>[1],
        ),
        (error: Error & { code?: string; request?: string }) => {
          assert.equal(error.code, 'REQUEST_TIMEOUT', String(error));
          assert.match(error.request ?? '', /^DynamoDB \w+ lambda-bounded-kpis/);
          return true;
        },
      );
      const records = await listRunRecords({ s3: emu.s3, bucket, limit: 10 });
      assert.equal(records.length, 1);
      const [record] = records;
      assert.equal(record?.command, 'lambda');
      assert.equal(record?.ok, false);
      assert.deepEqual(
        record?.failures.map((f) => [f.step, f.code]),
        [['setup', 'REQUEST_TIMEOUT']],
      );
      assert.match(record?.failures[0]?.message ?? '', /DynamoDB \w+ lambda-bounded-kpis/);
    } finally {
      close();
    }
  });

  it('the S3 client gives up on an endpoint that never answers after HTTP_REQUEST_TIMEOUT_MS, each retry a new connection', async () => {
    const { rt, close } = boundedRuntime({ s3: silent.endpoint, dynamodb: silent.endpoint });
    const before = silent.connections();
    try {
      await assert.rejects(
        rt.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'songs/' })),
        (error: Error & { $metadata?: { attempts?: number } }) => {
          assert.equal(error.name, 'TimeoutError', String(error));
          assert.match(error.message, /300 ms/);
          assert.equal(error.$metadata?.attempts, 3);
          return true;
        },
      );
      assert.equal(silent.connections() - before, 3);
    } finally {
      close();
    }
  });
});
