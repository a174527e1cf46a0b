/**
 * Differential property tests: the fast tokenizer, fed random chunk splits,
 * must produce exactly the records csv-parser produces for the whole input.
 */
import assert from 'node:assert/strict';
import { finished } from 'node:stream/promises';
import { describe, it } from 'node:test';
import csvParser from 'csv-parser';
import fc from 'fast-check';
import { ParseError } from '../src/errors.js';
import { type CsvRowBatch, createCsvTokenizer } from '../src/parse/internal/fast-csv.js';
import { csvRecord, csvRecordKeys } from '../src/parse/internal/fast-csv-record.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface Parsed {
  header: (string | null)[] | undefined;
  records: Record<string, string>[];
}

async function withCsvParser(input: Buffer): Promise<Parsed> {
  const parsed: Parsed = { header: undefined, records: [] };
  const parser = csvParser();
  // csv-parser unescapes quotes in place: give it its own copy.
  const copy = Buffer.from(input);
  parser.on('headers', (header: (string | null)[]) => {
    parsed.header = header;
  });
  parser.on('data', (record: Record<string, string>) => parsed.records.push(record));
  parser.end(copy);
  await finished(parser);
  return parsed;
}

function withFastTokenizer(input: Buffer, cuts: readonly number[]): Parsed & { lines: number[] } {
  const tokenizer = createCsvTokenizer();
  const parsed: Parsed & { lines: number[] } = { header: undefined, records: [], lines: [] };
  const collect = (batch: CsvRowBatch) => {
    const keys = csvRecordKeys(tokenizer.header ?? []);
    for (let r = 0; r < batch.length; r++) {
      parsed.records.push(csvRecord(keys, batch, r));
      parsed.lines.push(batch.lines[r]!);
    }
  };
  let from = 0;
  for (const cut of cuts) {
    collect(tokenizer.push(input.subarray(from, cut)));
    from = cut;
  }
  collect(tokenizer.push(input.subarray(from)));
  collect(tokenizer.end());
  parsed.header = tokenizer.header === undefined ? undefined : csvRecordKeys(tokenizer.header);
  return parsed;
}

/** Sorted cut offsets in [0, length], derived from random numbers. */
function cutsFor(length: number, seeds: readonly number[]): number[] {
  return seeds.map((seed) => seed % (length + 1)).sort((a, b) => a - b);
}

const cutSeeds = fc.array(fc.nat(), { maxLength: 12 });

// Well-formed documents, written the way a CSV writer quotes.
const textPiece = fc.constantFrom('a', 'b', 'x', ' ', 'é', 'ʤ', '𝄞', ',', '"', '\r', '\n', '\r\n');
const cellArb = fc
  .tuple(fc.array(textPiece, { maxLength: 6 }), fc.boolean())
  .map(([pieces, forceQuotes]) => {
    const value = pieces.join('');
    return forceQuotes || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  });
const rowArb = fc.array(cellArb, { maxLength: 4 });
const documentArb = fc.record({
  header: fc.array(cellArb, { minLength: 1, maxLength: 4 }),
  rows: fc.array(rowArb, { maxLength: 8 }),
  eol: fc.constantFrom('\n', '\r\n'),
  finalEol: fc.boolean(),
  bom: fc.boolean(),
});

// Arbitrary token soup: malformed quotes, invalid UTF-8, empty lines (no bare CR,
// which csv-parser would take as the line end of the whole file).
const tokenArb = fc.constantFrom(
  Buffer.from('a'),
  Buffer.from(','),
  Buffer.from(',,'),
  Buffer.from('"'),
  Buffer.from('""'),
  Buffer.from('\n'),
  Buffer.from('\r\n'),
  Buffer.from('é'),
  Buffer.from('𝄞'),
  Buffer.from(' '),
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xe2, 0x82]),
);

function quoteCount(bytes: Buffer): number {
  let count = 0;
  for (const byte of bytes) if (byte === 34) count++;
  return count;
}

describe('fast CSV tokenizer vs csv-parser (differential)', () => {
  it('produces the same header and records as csv-parser for well-formed CSV, any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(documentArb, cutSeeds, async (doc, seeds) => {
        const lines = [doc.header, ...doc.rows].map((cells) => cells.join(','));
        let text = lines.join(doc.eol);
        if (doc.finalEol) text += doc.eol;
        const body = Buffer.from(text);
        const input = doc.bom ? Buffer.concat([BOM, body]) : body;
        const expected = await withCsvParser(body);
        const actual = withFastTokenizer(input, cutsFor(input.length, seeds));
        assert.deepEqual(actual.header, expected.header);
        assert.deepEqual(actual.records, expected.records);
        // Each row starts on the physical line after all LFs before it.
        const expectedLines: number[] = [];
        let line = 1 + (lines[0]!.match(/\n/g)?.length ?? 0) + 1;
        for (let r = 0; r < doc.rows.length; r++) {
          const isTrailingEmpty = r === doc.rows.length - 1 && lines[r + 1] === '' && !doc.finalEol;
          if (!isTrailingEmpty) expectedLines.push(line);
          line += 1 + (lines[r + 1]!.match(/\n/g)?.length ?? 0);
        }
        assert.deepEqual(actual.lines, expectedLines);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with csv-parser on malformed input, or reports the unterminated quote', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(tokenArb, { maxLength: 40 }),
        fc.boolean(),
        cutSeeds,
        async (tokens, bom, seeds) => {
          const body = Buffer.concat(tokens);
          const input = bom ? Buffer.concat([BOM, body]) : body;
          const cuts = cutsFor(input.length, seeds);
          if (quoteCount(body) % 2 === 1) {
            assert.throws(
              () => withFastTokenizer(input, cuts),
              (error: unknown) =>
                error instanceof ParseError && error.code === 'CSV_UNTERMINATED_QUOTE',
            );
            return;
          }
          const expected = await withCsvParser(body);
          const actual = withFastTokenizer(input, cuts);
          assert.deepEqual(actual.header, expected.header);
          assert.deepEqual(actual.records, expected.records);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
