/**
 * The packages as npm users get them (see `helpers/pack.ts`): the three
 * libraries installed into a fresh project in the OS temp directory, where
 * an ESM TypeScript consumer type-checks with strict NodeNext settings and
 * runs with plain `node`; and the runner installed into an empty folder,
 * where `npx kpis` runs `--version`, `local` on a generated dataset, and
 * `run` and `status` against emulators the test starts.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type KpiItem, type StreamRow, streamRowSchema } from '@streamkpi/core';
import type { PipelineStatus } from '@streamkpi/dynamo-sink';
import { createBucket } from '@streamkpi/s3-source/testing';
import { oracleKpis } from '../../packages/core/test/helpers/oracle.js';
import { SONGS, songsCsv } from '../../packages/dynamo-sink/test/helpers/e2e.js';
import { type CliEmulators, startCliEmulators } from './helpers/cli-emulators.js';
import { comparableItems, datasetOracle } from './helpers/dataset-oracle.js';
import { installProject, type Packed, packWorkspace, sh, TSC } from './helpers/pack.js';
import { ROOT } from './helpers/spawn-cli.js';

let work: string;
let packed: Packed;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'streamkpi-pack-'));
  packed = await packWorkspace(join(work, 'tarballs'));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const SONGS_CSV = songsCsv(SONGS);
const STREAM_LINES = [
  '1,t1,2024-06-25 10:00:00',
  '2,t1,2024-06-25 23:59:59',
  '2,t2,2024-06-26T00:30:00+02:00',
  '3,t2,2024-06-25 12:00:00',
  '3,t3,2024-06-26 08:00:00',
  '1,t4,2024-06-26 09:00:00',
  '4,t4,2024-06-26 09:30:00',
  'x,t1,2024-06-25 10:00:00', // invalid_user_id
  '5,t9,2024-06-25 10:00:00', // unknown_track
  '6,t1,2024-13-45 99:00:00', // invalid listen_time
];
const STREAMS_CSV = `user_id,track_id,listen_time\n${STREAM_LINES.join('\n')}\n`;

/** The consumer: what a user writes after `npm install @streamkpi/core …`. */
const CONSUMER = `import {
  aggregateStreamFile,
  finalizeKpis,
  type KpiItem,
  loadSongsTable,
  memoryDeadLetter,
} from '@streamkpi/core';
import { decodeS3EventKey, type S3EventObject } from '@streamkpi/s3-source';
import type { RunningS3rver } from '@streamkpi/s3-source/testing';
import { type RunKpisOptions, toDynamoItem } from '@streamkpi/dynamo-sink';
import type { DynaliteHandle } from '@streamkpi/dynamo-sink/testing';

const songsCsv: string = ${JSON.stringify(SONGS_CSV)};
const streamsCsv: string = ${JSON.stringify(STREAMS_CSV)};

const deadLetter = memoryDeadLetter();
const songs = await loadSongsTable([songsCsv], {
  source: { id: 'songs.csv', key: 'songs.csv' },
  deadLetter,
});
// Stream the file in small chunks, as it would come from S3 or a socket.
const chunks: string[] = [];
for (let i = 0; i < streamsCsv.length; i += 16) chunks.push(streamsCsv.slice(i, i + 16));
const { state, counts } = await aggregateStreamFile(chunks, {
  source: { id: 'streams/day.csv', key: 'streams/day.csv' },
  songs,
  deadLetter,
});
const items: KpiItem[] = finalizeKpis(state);
const first = items[0];
if (first === undefined) throw new Error('no KPI items');
const dynamo = toDynamoItem(first);
// Types only: they must resolve from the published ./testing entries.
type Handles = [RunningS3rver['endpoint'], DynaliteHandle['endpoint'], RunKpisOptions['tableName']];
const handles: Handles = ['s3', 'dynamo', 'table'];
const event: Pick<S3EventObject, 'key'> = { key: decodeS3EventKey('streams/a+b%2Bc.csv') };
type IsAny<T> = 0 extends 1 & T ? true : false;
const typed: [
  IsAny<KpiItem>,
  IsAny<RunningS3rver>,
  IsAny<DynaliteHandle>,
  IsAny<RunKpisOptions>,
  IsAny<S3EventObject>,
  IsAny<typeof dynamo>,
] = [false, false, false, false, false, false];

console.log(
  JSON.stringify({
    counts,
    rejected: deadLetter.entries.map((e) => [e.line, e.reasons[0]?.reason]),
    items,
    dynamoAvg: String(dynamo.avg_listening_time_per_user),
    decodedKey: event.key,
    handles,
    typed,
    testing: [
      import.meta.resolve('@streamkpi/s3-source/testing'),
      import.meta.resolve('@streamkpi/dynamo-sink/testing'),
    ],
  }),
);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    // Checking every .d.ts (the AWS SDK's are large) takes 2-3 times longer;
    // the consumer instead asserts that no imported type degraded to `any`
    // (what an unresolvable import inside a shipped .d.ts would cause).
    skipLibCheck: true,
    outDir: 'out',
    rootDir: 'src',
  },
  include: ['src'],
};

interface ConsumerOutput {
  counts: { rowsRead: number; rowsAggregated: number; rowsRejected: number };
  rejected: [number, string][];
  items: KpiItem[];
  dynamoAvg: string;
  decodedKey: string;
  handles: string[];
  typed: boolean[];
  testing: string[];
}

describe('packed packages', { timeout: 300_000 }, () => {
  let tarballs: ReadonlyMap<string, string>;
  let project: string;

  before(async () => {
    tarballs = packed.libraries;
    project = join(work, 'consumer');
    const typesNode = JSON.parse(
      await readFile(join(ROOT, 'node_modules/@types/node/package.json'), 'utf8'),
    ) as { version: string };
    await installProject(
      project,
      { ...Object.fromEntries(tarballs), '@types/node': typesNode.version },
      tarballs,
    );
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    await writeFile(join(project, 'src', 'main.ts'), CONSUMER);
  });

  it('packs only dist and README, with workspace ranges rewritten and no source condition', async () => {
    for (const [name, spec] of tarballs) {
      const tgz = spec.slice('file:'.length);
      const files = (await sh('tar', ['tzf', tgz], work)).trim().split('\n').sort();
      assert.ok(files.includes('package/dist/index.js'), `${name}: dist/index.js`);
      assert.ok(files.includes('package/dist/index.d.ts'), `${name}: dist/index.d.ts`);
      assert.ok(files.includes('package/README.md'), `${name}: README.md`);
      const stray = files.filter(
        (f) => !/^package\/(dist\/.+\.(js|d\.ts)|README\.md|package\.json)$/.test(f),
      );
      assert.deepEqual(stray, [], `${name}: unexpected files`);
      const manifest = JSON.parse(await sh('tar', ['xzfO', tgz, 'package/package.json'], work)) as {
        name: string;
        sideEffects: boolean;
        license: string;
        engines: { node: string };
        exports: Record<string, Record<string, string> | string>;
        dependencies: Record<string, string>;
      };
      assert.equal(manifest.name, name);
      assert.equal(manifest.sideEffects, false);
      assert.equal(manifest.license, 'MIT');
      assert.equal(manifest.engines.node, '>=20');
      assert.ok(!JSON.stringify(manifest).includes('workspace:'), `${name}: workspace: range left`);
      for (const [dep, range] of Object.entries(manifest.dependencies)) {
        if (dep.startsWith('@streamkpi/')) assert.equal(range, '^0.1.0', `${name} → ${dep}`);
      }
      const subpaths = name === '@streamkpi/core' ? ['.'] : ['.', './testing'];
      for (const sub of subpaths) {
        const entry = manifest.exports[sub];
        assert.ok(typeof entry === 'object', `${name} exports ${sub}`);
        assert.equal(entry.source, undefined, `${name} exports ${sub} keeps the source condition`);
        for (const target of [entry.types, entry.import]) {
          assert.ok(files.includes(`package/${target?.slice(2)}`), `${name} ${sub} → ${target}`);
        }
      }
    }
  });

  it('type-checks an ESM consumer with strict NodeNext settings and runs it with plain node', async () => {
    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
    const out = JSON.parse(await sh(process.execPath, ['out/main.js'], project)) as ConsumerOutput;

    const rows: StreamRow[] = [];
    for (const line of STREAM_LINES) {
      const [user_id, track_id, listen_time] = line.split(',');
      const parsed = streamRowSchema.safeParse({ user_id, track_id, listen_time });
      if (parsed.success) rows.push(parsed.data);
    }
    const expected = oracleKpis(SONGS, rows);
    assert.deepEqual(out.items, expected);
    assert.deepEqual(
      out.items.map((i) => [i.date, i.track_genre, i.listen_count, i.unique_listeners]),
      [
        ['2024-06-25', 'pop', 4, 3],
        ['2024-06-25', 'rock', 2, 2],
        ['2024-06-26', 'jazz', 1, 1],
        ['2024-06-26', 'rock', 2, 2],
      ],
    );
    assert.deepEqual(out.counts, {
      rowsRead: 10,
      rowsAggregated: 7,
      rowsRejected: 3,
      rejectedByReason: { invalid_user_id: 1, unknown_track: 1, invalid_listen_time: 1 },
    });
    assert.deepEqual(
      out.rejected.sort((a, b) => a[0] - b[0]),
      [
        [9, 'invalid_user_id'],
        [10, 'unknown_track'],
        [11, 'invalid_listen_time'],
      ],
    );
    assert.equal(out.dynamoAvg, expected[0]?.avg_listening_time_per_user);
    assert.equal(out.decodedKey, 'streams/a b+c.csv');
    assert.deepEqual(out.handles, ['s3', 'dynamo', 'table']);
    assert.deepEqual(out.typed, [false, false, false, false, false, false]);
    // ./testing resolves to the built files inside the installed packages.
    for (const url of out.testing) {
      assert.match(
        url,
        /\/node_modules\/.*@streamkpi\/(s3-source|dynamo-sink)\/dist\/testing\.js$/,
      );
      assert.ok(!url.startsWith(`file://${ROOT}/`), `${url} resolved into the workspace`);
    }
  });

  it('resolves the built entries even when the consumer enables a `source` condition', async () => {
    const out = JSON.parse(
      await sh(process.execPath, ['--conditions=source', 'out/main.js'], project),
    ) as ConsumerOutput;
    assert.equal(out.counts.rowsRead, 10);
    assert.match(out.testing[0] ?? '', /\/dist\/testing\.js$/);
  });
});

describe('the packed kpis command', { timeout: 300_000 }, () => {
  let folder: string;
  let emu: CliEmulators;
  const npx = (args: readonly string[], env: Record<string, string> = {}) =>
    sh('npx', ['--no-install', 'kpis', ...args], folder, env);

  before(async () => {
    // An empty folder outside the workspace, the runner its only dependency.
    folder = join(work, 'operator');
    await installProject(
      folder,
      { '@streamkpi/examples': packed.runner },
      new Map([...packed.libraries, ['@streamkpi/examples', packed.runner]]),
      // dynalite's LevelDB binding picks its prebuilt binary in an install script.
      ['classic-level'],
    );
    emu = await startCliEmulators();
  });
  after(async () => {
    await emu?.close();
  });

  it('packs the bin, its built files and the dashboard page, without sources or tests', async () => {
    const tgz = packed.runner.slice('file:'.length);
    const files = (await sh('tar', ['tzf', tgz], work)).trim().split('\n');
    assert.ok(files.includes('package/dist/cli.js'));
    assert.ok(files.includes('package/src/dashboard/public/index.html'));
    const stray = files.filter(
      (f) =>
        !/^package\/(dist\/.+\.(js|d\.ts)|src\/dashboard\/public\/[^/]+|package\.json)$/.test(f),
    );
    assert.deepEqual(stray, []);
    assert.ok(!files.some((f) => f.startsWith('package/dist/bench/')));
    const manifest = JSON.parse(await sh('tar', ['xzfO', tgz, 'package/package.json'], work)) as {
      bin: Record<string, string>;
    };
    assert.deepEqual(manifest.bin, { kpis: './dist/cli.js' });
  });

  it('prints its version', async () => {
    assert.equal(await npx(['--version']), 'kpis 0.1.0\n');
  });

  it('runs local on a generated dataset, with paths relative to the folder it runs in', async () => {
    await npx(['generate', '--out', 'data', '--rows', '3000', '--files', '2', '--days', '3']);
    const out = await npx(['local', '--input', 'data', '--out', 'kpis.ndjson', '--threads', '0']);
    assert.match(out, /^status +ok/m);
    const items = (await readFile(join(folder, 'kpis.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as KpiItem);
    const oracle = await datasetOracle(join(folder, 'data'));
    assert.deepEqual(comparableItems(items), comparableItems(oracle.items));
  });

  it('runs and reports status against the emulators', async () => {
    await createBucket(emu.s3, 'packed-data');
    const s3 = ['--bucket', 'packed-data', '--s3-force-path-style'];
    await npx(['generate', '--out', 'upload', '--rows', '1000', '--files', '2', ...s3], emu.env);
    const run = await npx(['run', ...s3, '--table', 'packed-kpis', '--threads', '0'], emu.env);
    assert.match(run, /^objects +processed 2,/m);
    const status = JSON.parse(
      await npx(['status', ...s3, '--table', 'packed-kpis', '--json'], emu.env),
    ) as PipelineStatus;
    assert.equal(status.pending.count, 0);
    assert.ok(status.dates.length > 0);
    assert.equal(status.runs.length, 1);
    assert.equal(status.runs[0]?.ok, true);
    assert.equal(status.runs[0]?.rows.read, 1000);
  });
});
