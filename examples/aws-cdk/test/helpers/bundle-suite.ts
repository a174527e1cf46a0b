/**
 * The bundled handler end to end: the `index.mjs` of the synthesized asset,
 * configured by the environment variables the template sets, against s3rver
 * and a DynamoDB emulator (dynalite or DynamoDB Local) holding the
 * template's two tables (the handler creates none), each behind a proxy that
 * records the requests. Each backend imports the bundle afresh (its own
 * module instance: a new execution environment, cold, then warm).
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  createStateTable,
  ensureKpiTable,
  ensureStateTable,
  listRunRecords,
} from '@streamkpi/dynamo-sink';
import {
  type DynamoBackend,
  type DynamoHandle,
  type FaultProxy as DynamoProxy,
  startDynamo,
  startFaultProxy as startDynamoProxy,
} from '@streamkpi/dynamo-sink/testing';
import {
  type FaultProxy,
  type RunningS3rver,
  startFaultProxy,
  startS3rver,
} from '@streamkpi/s3-source/testing';
import {
  expected,
  LISTENS,
  put,
  songsCsv,
  streamsCsv,
  tableItems,
} from '../../../../packages/dynamo-sink/test/helpers/e2e.js';
import { applyEmulatorEnv } from '../../../test/helpers/emulator-env.js';
import {
  backfillBatch,
  lambdaContext,
  s3Notification,
  scheduledEvent,
  sqsEvent,
  sqsRecord,
} from '../../../test/helpers/lambda-payloads.js';
import {
  actionsBy,
  dynamoAuthorization,
  handlerRoleStatements,
  isAllowed,
  resolveGrants,
  s3Authorizations,
  tableArn,
} from './granted-actions.js';
import { createStackTables, handlerEnvironment } from './stack-resources.js';
import { PARAMS, type Synthesized } from './synth.js';
import { only } from './template-checks.js';

const BUCKET = 'music-data';
const TABLE = PARAMS.tableName;
const STATE_TABLE = PARAMS.stateTableName;
const PREFIX = PARAMS.prefix;

const { a: FILE_A, b: FILE_B, c: FILE_C } = LISTENS;
const FILE_D = streamsCsv([{ user_id: 1, track_id: 't2', listen_time: '2024-06-27 00:00:01' }]);
const FILE_F = streamsCsv([
  { user_id: 3, track_id: 't3', listen_time: '2024-06-28 07:00:00' },
  { user_id: 1, track_id: 't1', listen_time: '2024-06-28 07:30:00' },
]);

interface BundleModule {
  handler(event: unknown, context: unknown): Promise<Record<string, unknown>>;
  currentRuntime(): { referenceCache: { stats: { builds: number; reuses: number } } } | undefined;
}

/** Registers the bundle tests, against the `backend` emulator (started and closed here), in the surrounding `describe`. */
export function bundleSuite(synthesized: () => Synthesized, backend: DynamoBackend): void {
  let s3rver: RunningS3rver;
  let proxy: FaultProxy;
  let dynamo: DynamoHandle;
  let dynamoProxy: DynamoProxy;
  let tables: Map<string, string>;
  let s3: S3Client;
  let bundle: BundleModule;
  let restoreEnv: (() => void) | undefined;
  const output: string[] = [];
  const errorOutput: string[] = [];
  const write = process.stdout.write;
  const writeError = process.stderr.write;

  /**
   * Invokes the bundle, keeping what it prints (JSON logs, EMF) for the
   * assertions: `printed` on stdout, `warned` on stderr (the logger's WARN
   * and ERROR lines).
   */
  async function invoke(event: unknown, requestId: string) {
    const start = output.length;
    const errorStart = errorOutput.length;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      errorOutput.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const result = await bundle.handler(event, lambdaContext(requestId));
      return { result, printed: output.slice(start), warned: errorOutput.slice(errorStart) };
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeError;
    }
  }
  const gets = (folder: string) =>
    proxy.requests.filter(
      (r) => r.method === 'GET' && r.url.startsWith(`/${BUCKET}/${PREFIX}${folder}`),
    ).length;
  const etagOf = async (key: string) =>
    ((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag ?? '').replaceAll(
      '"',
      '',
    );

  before(async () => {
    s3rver = await startS3rver({ buckets: [BUCKET] });
    proxy = await startFaultProxy(s3rver.endpoint);
    dynamo = await startDynamo(backend);
    dynamoProxy = await startDynamoProxy({ target: dynamo.endpoint });
    s3 = s3rver.client();
    // The tables as the stack declares them; ensure* then checks that their
    // key schemas are the ones the runner expects (and waits for ACTIVE).
    const { template } = synthesized();
    tables = await createStackTables(dynamo.client(), template);
    assert.deepEqual([...tables.values()].sort(), [TABLE, STATE_TABLE].sort());
    await ensureKpiTable({ client: dynamo.client(), tableName: TABLE });
    await ensureStateTable({ client: dynamo.client(), tableName: STATE_TABLE });
    const bucketId = Object.keys(template.findResources('AWS::S3::Bucket'))[0] ?? '';
    const stackEnv = handlerEnvironment(template, new Map([...tables, [bucketId, BUCKET]]));
    assert.equal(stackEnv.KPI_STATE_TABLE, STATE_TABLE);
    assert.equal(stackEnv.KPI_CREATE_TABLE, 'false');
    await put(s3, `${PREFIX}songs/songs.csv`, songsCsv(), BUCKET);
    await put(s3, `${PREFIX}users/users.csv`, 'user_id,user_name\n1,a\n2,b\n3,c\n', BUCKET);
    await put(s3, `${PREFIX}streams/`, '', BUCKET);
    // What the stack sets, plus the emulators' endpoints and credentials
    // (the test data's listen times are UTC dates).
    restoreEnv = applyEmulatorEnv(
      { s3: proxy.endpoint, dynamodb: dynamoProxy.endpoint },
      { ...stackEnv, TIME_ZONE: 'UTC' },
    );
    const file = synthesized().bundle;
    const started = performance.now();
    // A module instance of its own per backend: module scope is the execution environment.
    bundle = (await import(`${pathToFileURL(file).href}?backend=${backend}`)) as BundleModule;
    const initMs = performance.now() - started;
    const kib = (await stat(file)).size / 1024;
    console.log(
      `Lambda bundle ${kib.toFixed(0)} KiB; cold init (import) ${initMs.toFixed(0)} ms (${backend})`,
    );
    assert.equal(bundle.currentRuntime(), undefined, 'a fresh execution environment');
  });

  after(async () => {
    process.stdout.write = write;
    restoreEnv?.();
    await proxy?.close();
    await s3rver?.close();
    await dynamoProxy?.close();
    await dynamo?.close();
  });

  it('commits an SQS batch and reports the poisoned messages in batchItemFailures', async () => {
    const keyA = `${PREFIX}streams/June 25 + more.csv`;
    await put(s3, keyA, FILE_A, BUCKET);
    const { result, printed } = await invoke(
      sqsEvent(
        sqsRecord('msg-a', JSON.stringify(s3Notification(BUCKET, keyA))),
        sqsRecord('msg-not-json', '{not json'),
        sqsRecord(
          'msg-missing',
          JSON.stringify(s3Notification(BUCKET, `${PREFIX}streams/never uploaded.csv`)),
        ),
        sqsRecord(
          'msg-test',
          JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET }),
        ),
      ),
      'req-1',
    );
    assert.deepEqual(result, {
      batchItemFailures: [{ itemIdentifier: 'msg-not-json' }, { itemIdentifier: 'msg-missing' }],
    });
    assert.deepEqual(await tableItems(dynamo.documentClient(), TABLE), expected([FILE_A]));
    // Structured logs carry the message id as correlation id; EMF counts the rows.
    const lines = printed.flatMap((p) => p.split('\n')).filter((l) => l.startsWith('{'));
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const finished = records.find(
      (r) => r.message === 'KPI run finished' && r.correlation_id === 'msg-a',
    );
    assert.equal(finished?.rowsRead, 4);
    assert.equal(finished?.function_request_id, 'req-1');
    const emf = records.filter((r) => r._aws !== undefined);
    assert.equal(emf.length, 1);
    assert.ok([emf[0]?.RowsRead].flat().includes(4));
    assert.ok([emf[0]?.RowsRejected].flat().includes(2));
  });

  it('treats a redelivered message as a no-op', async () => {
    const before = await tableItems(dynamo.documentClient(), TABLE);
    const keyA = `${PREFIX}streams/June 25 + more.csv`;
    const { result } = await invoke(
      sqsEvent(sqsRecord('msg-a', JSON.stringify(s3Notification(BUCKET, keyA)), 2)),
      'req-2',
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(await tableItems(dynamo.documentClient(), TABLE), before);
  });

  it('runs a Distributed Map batch of ListObjectsV2 items and returns its summary', async () => {
    const keys = [`${PREFIX}streams/b.csv`, `${PREFIX}streams/c.csv`];
    await put(s3, keys[0] as string, FILE_B, BUCKET);
    await put(s3, keys[1] as string, FILE_C, BUCKET);
    const items = [
      {
        key: `${PREFIX}streams/`,
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
        size: 0,
        lastModified: new Date(),
      },
      ...(await Promise.all(
        keys.map(async (key) => ({
          key,
          etag: await etagOf(key),
          size: 1,
          lastModified: new Date(),
        })),
      )),
    ];
    const { result } = await invoke(backfillBatch(BUCKET, items), 'req-3');
    assert.equal(result.processed, 2);
    assert.equal(result.failed, 0);
    assert.equal(result.rowsRead, 4);
    assert.equal(result.referenceReused, true);
    assert.deepEqual(
      await tableItems(dynamo.documentClient(), TABLE),
      expected([FILE_A, FILE_B, FILE_C]),
    );
  });

  it('reconciles the whole prefix on a scheduled event, catching a file no event announced', async () => {
    await put(s3, `${PREFIX}streams/d.csv`, FILE_D, BUCKET);
    const { result } = await invoke(scheduledEvent(), 'req-4');
    assert.equal(result.processed, 1);
    assert.equal(result.ok, true);
    assert.deepEqual(
      await tableItems(dynamo.documentClient(), TABLE),
      expected([FILE_A, FILE_B, FILE_C, FILE_D]),
    );
  });

  it('keeps the commit state in the state table the stack names: one head per date, no claim left', async () => {
    const client = dynamo.client();
    const listed = await client.send(new ListTablesCommand({}));
    assert.deepEqual(listed.TableNames?.sort(), [TABLE, STATE_TABLE].sort());
    const scanned = await client.send(new ScanCommand({ TableName: STATE_TABLE }));
    const records = (scanned.Items ?? []).map((item) => ({
      pk: item.pk?.S ?? '',
      version: item.version?.N,
      written: item.written?.N,
    }));
    const scope = `s3://${BUCKET}/${PREFIX}state/`;
    // Versions count the stream files of each date: A+B on the 25th, B+C on the 26th, D on the 27th.
    assert.deepEqual(
      records.sort((x, y) => x.pk.localeCompare(y.pk)),
      [
        { pk: `${scope}|head|2024-06-25`, version: '2', written: '2' },
        { pk: `${scope}|head|2024-06-26`, version: '2', written: '2' },
        { pk: `${scope}|head|2024-06-27`, version: '1', written: '1' },
      ],
    );
  });

  it('read the songs and users objects once over the warm invocations', () => {
    assert.equal(gets('songs/'), 1);
    assert.equal(gets('users/'), 1);
    assert.deepEqual(bundle.currentRuntime()?.referenceCache.stats, { builds: 2, reuses: 8 });
  });

  it('rebuilds the songs table when the songs object changes', async () => {
    await put(
      s3,
      `${PREFIX}songs/songs.csv`,
      `${songsCsv()}99,t9,Artist,Nine,100000,metal\n`,
      BUCKET,
    );
    await put(s3, `${PREFIX}streams/e.csv`, FILE_D, BUCKET);
    const { result } = await invoke(
      sqsEvent(
        sqsRecord('msg-e', JSON.stringify(s3Notification(BUCKET, `${PREFIX}streams/e.csv`))),
      ),
      'req-5',
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(gets('songs/'), 2);
    assert.equal(gets('users/'), 1);
  });

  it("reports an object under another invocation's live claim in batchItemFailures (a backfill counts it claimed); the redelivery after the claim ends commits it", async () => {
    const key = `${PREFIX}streams/f.csv`;
    await put(s3, key, FILE_F, BUCKET);
    const claims = createStateTable({
      client: dynamo.client(),
      tableName: STATE_TABLE,
      scope: `s3://${BUCKET}/${PREFIX}state/`,
    });
    const claimKey = `${BUCKET}/${key}`;
    assert.equal(await claims.claim(claimKey, 'another-invocation', 600_000), true);
    const committed = await tableItems(dynamo.documentClient(), TABLE);
    const body = JSON.stringify(s3Notification(BUCKET, key));
    const held = await invoke(sqsEvent(sqsRecord('msg-f', body)), 'req-6');
    // Not a success: the holder may still fail, so SQS must deliver the message again.
    assert.deepEqual(held.result, { batchItemFailures: [{ itemIdentifier: 'msg-f' }] });
    // Expected under load, so a warning, not an error.
    const logged = [...held.printed, ...held.warned]
      .flatMap((p) => p.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.correlation_id === 'msg-f')
      .map((r) => `${r.level} ${r.message}`);
    assert.ok(
      logged.includes("WARN SQS message left to another invocation's live claim"),
      logged.join('\n'),
    );
    assert.deepEqual(
      logged.filter((l) => l.startsWith('ERROR')),
      [],
    );
    assert.deepEqual(await tableItems(dynamo.documentClient(), TABLE), committed);
    assert.notEqual(await etagOf(key), '', 'the object stays in streams/');
    // A backfill child leaves it to the holder too, and says so without failing.
    const { result: batch } = await invoke(
      backfillBatch(BUCKET, [{ key, etag: await etagOf(key), size: 1, lastModified: new Date() }]),
      'req-6b',
    );
    assert.equal(batch.claimed, 1);
    assert.equal(batch.processed, 0);
    assert.equal(batch.ok, true);
    assert.deepEqual(await tableItems(dynamo.documentClient(), TABLE), committed);
    await claims.release(claimKey, 'another-invocation');
    const again = await invoke(sqsEvent(sqsRecord('msg-f', body, 2)), 'req-7');
    assert.deepEqual(again.result, { batchItemFailures: [] });
    assert.deepEqual(
      await tableItems(dynamo.documentClient(), TABLE),
      expected([FILE_A, FILE_B, FILE_C, FILE_D, FILE_D, FILE_F]),
    );
  });

  it('leaves a run record (command lambda) per run, as `kpis run` does, for `kpis status` and the dashboard', async () => {
    const logged = output
      .flatMap((p) => p.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.message === 'KPI run finished' || r.message === 'KPI run failed');
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}state/runs/` }),
    );
    assert.deepEqual(
      (listed.Contents ?? []).map((c) => c.Key).sort(),
      logged.map((r) => r.runRecord).sort(),
    );
    const records = await listRunRecords({ s3, bucket: BUCKET, prefix: PREFIX, limit: 100 });
    assert.equal(records.length, logged.length);
    for (const r of records) {
      assert.equal(r.command, 'lambda');
      assert.equal(r.rows.read, r.rows.aggregated + r.rows.rejected);
    }
    const sum = (f: (r: (typeof records)[number]) => number) =>
      records.reduce((n, r) => n + f(r), 0);
    // Files a, b, c, d, e and f, each read and committed once (redeliveries read nothing).
    assert.equal(
      sum((r) => r.objects.committed.count),
      6,
    );
    assert.equal(
      sum((r) => r.rows.read),
      [FILE_A, FILE_B, FILE_C, FILE_D, FILE_D, FILE_F]
        .map((f) => f.trimEnd().split('\n').length - 1)
        .reduce((a, b) => a + b),
    );
  });

  it('sends exactly the DynamoDB actions the role grants on each table, and only S3 requests it allows', () => {
    const { template } = synthesized();
    const bucketId = only(template, 'AWS::S3::Bucket');
    const arns = new Map<string, string>([
      [bucketId, `arn:aws:s3:::${BUCKET}`],
      ...[...tables].map(([id, name]): [string, string] => [id, tableArn(name)]),
    ]);
    const grants = resolveGrants(handlerRoleStatements(template), arns);
    const granted = actionsBy(
      grants.flatMap((g) =>
        g.resources
          .filter((resource) => resource.includes(':dynamodb:'))
          .flatMap((resource) => g.actions.map((action) => ({ action, resource }))),
      ),
    );
    const sent = actionsBy(dynamoProxy.calls.map(dynamoAuthorization));
    assert.deepEqual(sent, granted);
    // The KPI table: conditional puts with ReturnValuesOnConditionCheckFailure, nothing else.
    assert.deepEqual(sent[tableArn(TABLE)], ['dynamodb:PutItem']);
    const used = proxy.requests.flatMap(s3Authorizations);
    assert.deepEqual(
      used.filter((a) => !isAllowed(grants, a)),
      [],
    );
    assert.deepEqual(Object.keys(actionsBy(used, (a) => a.action)), [
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });
}
