/**
 * Child-process script for the large-CSV memory test: streams a generated
 * CSV of `TOTAL_BYTES` (default 300 MB; never written to disk) through
 * parseFile → validateRows → countRows and prints the run summary plus the
 * RSS baseline as JSON on stdout. Run in a fresh process so the RSS numbers
 * are this pipeline's alone.
 */
import { Readable } from 'node:stream';
import {
  type DeadLetterSink,
  parseFile,
  pipeline,
  RunMetrics,
  type StreamRow,
  validateRows,
} from '../../src/index.js';
import { countRows } from './parse.js';

const totalBytes = Number(process.env.TOTAL_BYTES ?? 300 * 1024 * 1024);
const ROWS_PER_CHUNK = 1000;
const BAD_EVERY = 997;
// Wide rows (~300 bytes, like real exports with extra columns) keep the row
// count, and so the run time, reasonable while the byte volume is real.
const PADDING = 'lorem ipsum dolor sit amet, '.repeat(8);

function* generate(): Generator<Buffer> {
  let sent = 0;
  let id = 0;
  const header = Buffer.from('user_id,track_id,listen_time,comment\n');
  sent += header.length;
  yield header;
  while (sent < totalBytes) {
    let text = '';
    for (let i = 0; i < ROWS_PER_CHUNK; i++) {
      id++;
      const user = id % BAD_EVERY === 0 ? `u${id}` : String(id);
      text += `${user},track_${id % 89000},2024-06-${10 + (id % 20)} 17:43:13,"${PADDING}with ""quotes"" ${id}"\n`;
    }
    const buf = Buffer.from(text);
    sent += buf.length;
    yield buf;
  }
}

// Counts rejects without keeping them: memory must not grow with the input.
let deadLettered = 0;
const deadLetter: DeadLetterSink = {
  async write(entries) {
    deadLettered += entries.length;
  },
  async close() {},
};

global.gc?.();
const baselineRss = process.memoryUsage.rss();
const metrics = new RunMetrics();
const source = { id: 'generated:streams.csv', key: 'streams.csv' };
const { summary } = await pipeline((ctx) =>
  parseFile({ source, dataset: 'streams', metrics })(
    Readable.from(generate(), { objectMode: false }),
    ctx,
  ),
)
  .through(validateRows({ dataset: 'streams', deadLetter, metrics }))
  .to(countRows<StreamRow>())
  .run({ metrics });
process.stdout.write(`${JSON.stringify({ baselineRss, deadLettered, summary })}\n`);
