/**
 * Runs one pool failure scenario and lets the process end on its own: it
 * exits 0 only when the call rejected as expected and nothing kept the
 * event loop alive afterwards (a promise left pending would keep the
 * dead-letter port, and so the process, alive).
 */
import {
  createAggregatePool,
  memoryDeadLetter,
  PipelineError,
  songsTableFromRows,
} from '../../src/index.js';

const scenario = process.argv[2];
const songs = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
]);
const rows = (n: number) =>
  `user_id,track_id,listen_time\n${'x,t1,2024-06-25 10:00:00\n'.repeat(n)}1,t1,2024-06-25 10:00:00\n`;
const fixture = (name: string) => new URL(`../fixtures/pool/${name}.ts`, import.meta.url);

const workerFile =
  scenario === 'exit'
    ? fixture('exit-worker')
    : scenario === 'top-level-throw'
      ? fixture('throwing-worker')
      : scenario === 'timeout'
        ? fixture('hang-worker')
        : fixture('string-worker');
const pool = createAggregatePool({
  songs,
  threads: 1,
  workerFile,
  // Room for the replacement thread to start (it loads the worker module afresh).
  ...(scenario === 'timeout' ? { taskTimeoutMs: 4000 } : {}),
});
const deadLetter = memoryDeadLetter();
const controller = new AbortController();
const input =
  scenario === 'exit'
    ? 7
    : scenario === 'fail'
      ? 'no header here\n1,2\n'
      : scenario === 'timeout'
        ? 'hang'
        : rows(20_000);
const call = pool.aggregate({ id: 'mem://a', key: 'a.csv' }, input, {
  deadLetter,
  signal: controller.signal,
});
if (scenario === 'abort') setImmediate(() => controller.abort());
try {
  await call;
  console.error(`${scenario}: resolved, expected a rejection`);
  process.exitCode = 1;
} catch (error) {
  console.log(`${scenario}: rejected: ${(error as Error).message}`);
  if (scenario === 'timeout') await afterTimeout(error);
}

/** The timed-out task names its object, and the replacement thread reads the next one. */
async function afterTimeout(error: unknown): Promise<void> {
  const named =
    error instanceof PipelineError &&
    error.code === 'POOL_TASK_TIMEOUT' &&
    error.message.startsWith('mem://a: ');
  const pendingAfter = pool.pending().length;
  const next = await pool.aggregate({ id: 'mem://b', key: 'b.csv' }, rows(3), { deadLetter });
  const ok = named && pendingAfter === 0 && next.counts.rowsRead === 4;
  console.log(
    `timeout: named ${named}, pending ${pendingAfter}, next read ${next.counts.rowsRead}`,
  );
  if (!ok) process.exitCode = 1;
}
await pool.close().catch((error: unknown) => {
  console.error(`${scenario}: close failed: ${String(error)}`);
  process.exitCode = 1;
});
