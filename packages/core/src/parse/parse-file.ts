import { z } from 'zod';
import { ParseError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import { checkHeader } from './check-header.js';
import { decompress } from './decompress.js';
import { type ByteSource, toBuffer } from './internal/bytes.js';
import { jsonParseOptionsSchema } from './internal/parse-options.js';
import { type ByteParser, parseCsv } from './parse-csv.js';
import { parseJsonArray } from './parse-json-array.js';
import { parseNdjson } from './parse-ndjson.js';

/** The file formats {@link parseFile} reads. */
export type FileFormat = 'csv' | 'ndjson' | 'json';

/** Options of {@link parseFile}. */
export const parseFileOptionsSchema = jsonParseOptionsSchema.extend({
  /** Format; default: from the key's suffix (see {@link detectFormat}). */
  format: z.enum(['csv', 'ndjson', 'json']).optional(),
  /** When set, the header is checked with `checkHeader` before any row flows. */
  dataset: z.enum(['streams', 'songs', 'users']).optional(),
  /** CSV engine (see `parseCsv`). Default `'fast'`. */
  engine: z.enum(['fast', 'csv-parser']).default('fast'),
});

/** Options of {@link parseFile}. */
export type ParseFileOptions = z.input<typeof parseFileOptionsSchema>;

const SUFFIXES: readonly [string, FileFormat][] = [
  ['.csv', 'csv'],
  ['.ndjson', 'ndjson'],
  ['.jsonl', 'ndjson'],
  ['.json', 'json'],
];

/**
 * The format a key's suffix names: `.csv`, `.ndjson`/`.jsonl`, `.json`, each
 * optionally followed by `.gz` (case-insensitive). `undefined` otherwise.
 */
export function detectFormat(key: string): FileFormat | undefined {
  let name = key.toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  for (const [suffix, format] of SUFFIXES) if (name.endsWith(suffix)) return format;
  return undefined;
}

/**
 * The one entry point from bytes to rows: picks the parser from `format` or
 * the key suffix of `source`, gunzips when the bytes start with the gzip
 * magic number (whatever the name), optionally checks the header against
 * `dataset`, counts raw bytes into `metrics`, and returns a stage from a
 * byte source (`Readable`, S3 body, async iterable) to batches of raw rows.
 *
 * ```ts
 * const rows = parseFile({ source, dataset: 'streams' })(createReadStream(path), { signal });
 * ```
 *
 * Throws `ParseError` `UNKNOWN_FORMAT` (before any I/O) when neither
 * `format` nor the key says what the file is.
 */
export function parseFile(options: ParseFileOptions): ByteParser {
  const parsed = parseOptions(parseFileOptionsSchema, options, 'parseFile');
  const {
    source,
    format: given,
    dataset,
    onHeader,
    metrics,
    batchSize,
    maxRowBytes,
    maxFields,
    engine,
    maxDepth,
  } = parsed;
  const format = given ?? detectFormat(source.key);
  if (format === undefined) {
    throw new ParseError(
      'UNKNOWN_FORMAT',
      `${source.id}: cannot tell the format from the key; expected .csv, .ndjson, .jsonl or .json (optionally .gz), or pass \`format\``,
      { source },
    );
  }
  const headerCheck =
    dataset === undefined && onHeader === undefined
      ? undefined
      : (header: readonly string[]) => {
          if (dataset !== undefined) checkHeader(dataset, header, source);
          onHeader?.(header);
        };
  const parserOptions = {
    source,
    batchSize,
    maxRowBytes,
    maxFields,
    ...(headerCheck === undefined ? {} : { onHeader: headerCheck }),
    ...(metrics === undefined ? {} : { metrics }),
  };
  const parseRows =
    format === 'csv'
      ? parseCsv({ ...parserOptions, engine })
      : format === 'ndjson'
        ? parseNdjson({ ...parserOptions, maxDepth })
        : parseJsonArray({ ...parserOptions, maxDepth });
  const gunzip = decompress({ source });

  return function parse(bytes: ByteSource, context) {
    const counters = metrics ?? context?.metrics;
    const counted =
      counters === undefined ? bytes : countBytes(bytes, counters.addBytes.bind(counters));
    return parseRows(gunzip(counted, context), context);
  };
}

async function* countBytes(
  bytes: ByteSource,
  add: (count: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of bytes) {
    const buf = toBuffer(chunk);
    add(buf.length);
    yield buf;
  }
}
