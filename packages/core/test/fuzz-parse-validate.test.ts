/**
 * Seeded fuzzing of the public parse → validate stages: ≥ 10,000 mutated
 * CSV, NDJSON, JSON and gzip inputs (byte flips, inserted structure bytes,
 * deletions, truncations, duplicated slices, odd chunking). Each must end
 * either normally or with a documented file-level error, with every row
 * read counted once as valid or rejected, a dead-letter entry per rejected
 * row, and heap use that does not grow with the number of cases.
 *
 * Replay a failure with the seed it prints: `FUZZ_SEED=<seed> node
 * --conditions=source --import tsx --test packages/core/test/fuzz-parse-validate.test.ts`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  memoryDeadLetter,
  PipelineError,
  parseFile,
  pipeline,
  RunMetrics,
  validateRows,
} from '../src/index.js';
import type { FileFormat } from '../src/parse/parse-file.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const RUNS_PER_FORMAT = Number(process.env.FUZZ_RUNS ?? 3400);

/** The file-level errors parse → validate documents (ARCHITECTURE.md, Errors). */
const FILE_ERRORS = new Set([
  'EMPTY_FILE',
  'LINE_TOO_LONG',
  'GZIP_TRUNCATED',
  'GZIP_CORRUPT',
  'JSON_NOT_ARRAY',
  'JSON_MALFORMED',
  'MISSING_COLUMNS',
  'CSV_UNTERMINATED_QUOTE',
]);

const userArb = fc.oneof(
  fc.constantFrom('1', '42', '0', '-1', '1e3', '9007199254740990.9', ' 7', '', 'x', '007'),
  fc.integer({ min: 1, max: 1_000_000 }).map(String),
);
const trackArb = fc.constantFrom('t1', 't2', '', ' t1', 'a,b', 'q"q', 'line\nbreak', '\uFFFD', 'é');
const timeArb = fc.constantFrom(
  '2024-06-25 17:43:13',
  '2024-06-25T23:59:59Z',
  '2024-06-26T00:00:00.5+02:00',
  '9999-12-31T23:59:59-01:00',
  '0000-01-01T00:30:00+01:00',
  '2024-13-45 99:00:00',
  'not-a-date',
  '',
);
const rowArb = fc.record({ user_id: userArb, track_id: trackArb, listen_time: timeArb });

function quote(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function render(
  format: FileFormat,
  rows: readonly Record<string, string>[],
  numbers: boolean,
): string {
  const typed = rows.map((r) => ({
    ...r,
    user_id: numbers && /^\d{1,15}$/.test(r.user_id ?? '') ? Number(r.user_id) : r.user_id,
  }));
  if (format === 'csv') {
    return `user_id,track_id,listen_time\n${rows
      .map((r) => [r.user_id, r.track_id, r.listen_time].map((c) => quote(c ?? '')).join(','))
      .join('\n')}\n`;
  }
  if (format === 'ndjson') return typed.map((r) => JSON.stringify(r)).join('\n');
  return JSON.stringify(typed, null, numbers ? 1 : 0);
}

/** Bytes that change structure in one of the formats. */
const STRUCTURE = [
  0x2c, 0x22, 0x0a, 0x0d, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x5c, 0x00, 0xff, 0xef, 0xbb, 0xbf, 0xc3,
  0x20,
];

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number; to: number };

const byteArb = fc.oneof(fc.constantFrom(...STRUCTURE), fc.integer({ min: 0, max: 255 }));
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: byteArb }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.array(byteArb, { minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 256 }),
    to: fc.nat(),
  }),
);

function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let buf = input;
  for (const m of mutations) {
    const at = buf.length === 0 ? 0 : m.at % (buf.length + 1);
    switch (m.kind) {
      case 'flip':
        if (at < buf.length) {
          buf = Buffer.from(buf);
          buf[at] = m.byte;
        }
        break;
      case 'insert':
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
        break;
      case 'delete':
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.length)]);
        break;
      case 'truncate':
        buf = buf.subarray(0, at);
        break;
      case 'duplicate': {
        const slice = buf.subarray(at, at + m.length);
        const to = m.to % (buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, to), slice, buf.subarray(to)]);
        break;
      }
    }
  }
  return buf;
}

const caseArb = (format: FileFormat) =>
  fc.record({
    rows: fc.array(rowArb, { maxLength: 25 }),
    numbers: fc.boolean(),
    gzip: fc.constantFrom('none', 'none', 'before', 'after'),
    mutations: fc.array(mutationArb, { maxLength: 6 }),
    chunk: fc.integer({ min: 1, max: 2048 }),
    maxRowBytes: fc.constantFrom(64, 4096, 4 * 1024 * 1024),
    format: fc.constant(format),
  });

type Case = ReturnType<typeof caseArb> extends fc.Arbitrary<infer T> ? T : never;

function bytesOf(c: Case): Buffer {
  const text = Buffer.from(render(c.format, c.rows, c.numbers));
  // 'before': gzip a mutated file (valid gzip, hostile content);
  // 'after': mutate the gzip bytes themselves (corrupt / truncated members).
  if (c.gzip === 'before') return gzipSync(mutate(text, c.mutations));
  if (c.gzip === 'after') return mutate(gzipSync(text), c.mutations);
  return mutate(text, c.mutations);
}

function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** How the cases ended, so the suite can show it reached every outcome. */
interface Tally {
  fileErrors: number;
  withValid: number;
  withRejected: number;
}

/** Runs one case through parseFile → validateRows and checks the accounting. */
async function check(c: Case, tally: Tally): Promise<void> {
  const source = { id: `fuzz.${c.format}`, key: `fuzz.${c.format}` };
  const metrics = new RunMetrics();
  const deadLetter = memoryDeadLetter();
  const signal = new AbortController().signal;
  const parse = parseFile({
    source,
    format: c.format,
    dataset: 'streams',
    metrics,
    maxRowBytes: c.maxRowBytes,
  });
  const validate = validateRows({ dataset: 'streams', deadLetter, metrics });
  let valid = 0;
  let failure: unknown;
  try {
    await pipeline(chunks(bytesOf(c), c.chunk))
      .through(parse, 'parse')
      .through(validate)
      .to(async (batches) => {
        for await (const batch of batches) valid += batch.length;
      })
      .run({ signal });
  } catch (error) {
    failure = error;
  }
  if (failure !== undefined) {
    assert.ok(
      failure instanceof PipelineError && FILE_ERRORS.has(failure.code),
      `undocumented failure: ${(failure as Error)?.stack ?? String(failure)}`,
    );
    assert.equal((failure as PipelineError).source?.id, source.id, 'the error names its file');
  }
  const counts = metrics.source(source);
  if (failure !== undefined) tally.fileErrors++;
  if (valid > 0) tally.withValid++;
  if (counts.rowsRejected > 0) tally.withRejected++;
  assert.equal(counts.rowsRead, valid + counts.rowsRejected, 'rows read = valid + rejected');
  assert.equal(deadLetter.entries.length, counts.rowsRejected, 'a dead letter per rejected row');
  for (const entry of deadLetter.entries) {
    assert.ok(entry.reasons.length > 0 && entry.line >= 1, JSON.stringify(entry));
  }
}

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('fuzzing parse → validate', { timeout: 600_000 }, () => {
  const gc = forceGc();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;

  for (const format of ['csv', 'ndjson', 'json'] as const) {
    it(`${RUNS_PER_FORMAT} mutated ${format} inputs (plain and gzip): documented errors only, every row accounted for`, async () => {
      const tally: Tally = { fileErrors: 0, withValid: 0, withRejected: 0 };
      try {
        await fc.assert(
          fc.asyncProperty(caseArb(format), (c) => check(c, tally)),
          { seed: SEED, numRuns: RUNS_PER_FORMAT, endOnFailure: true },
        );
      } catch (error) {
        process.stderr.write(`fuzz ${format} failed; replay with FUZZ_SEED=${SEED}\n`);
        throw error;
      }
      // The mutations reach every outcome: files that fail, rows that pass, rows that are rejected.
      for (const [outcome, n] of Object.entries(tally)) {
        assert.ok(
          n >= RUNS_PER_FORMAT / 20,
          `${format}: only ${n} cases with ${outcome} (FUZZ_SEED=${SEED})`,
        );
      }
    });
  }

  it('heap use does not grow with the number of cases', () => {
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(
      growth < 32 * 1024 * 1024,
      `heap grew by ${(growth / 1048576).toFixed(1)} MiB (FUZZ_SEED=${SEED})`,
    );
  });
});
