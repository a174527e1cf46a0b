/**
 * Child process of json-nesting-memory.test.ts: reads one stream file on
 * the main thread (as `--threads 0` and the Lambda path do) and prints its
 * counts and the process's peak RSS as JSON.
 */
import { createReadStream } from 'node:fs';
import { aggregateStreamFile, memoryDeadLetter, songsTableFromRows } from '../../src/index.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: deep-json-run.ts <file>');
const deadLetter = memoryDeadLetter();
const songs = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
]);
const { counts } = await aggregateStreamFile(createReadStream(path), {
  source: { id: path, key: path },
  songs,
  deadLetter,
});
process.stdout.write(
  JSON.stringify({
    counts,
    reasons: deadLetter.entries.map((e) => e.reasons[0]?.reason),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
