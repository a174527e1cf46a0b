import { z } from 'zod';

/** Options of {@link generateDataset}; parsed with {@link generateOptionsSchema}. */
export const generateOptionsSchema = z.object({
  /** Output directory; created if missing. Files: songs/, users/, streams/, manifest.json. */
  dir: z.string().min(1).describe('output directory'),
  /** Seed of the PRNG: the same options and seed give the same bytes. */
  seed: z.number().int().nonnegative().default(42).describe('PRNG seed'),
  /** Number of stream rows over all stream files (dirty rows included). */
  streamRows: z.number().int().nonnegative().default(100_000).describe('stream rows in total'),
  /** Number of stream files; neighbouring files overlap in dates. */
  streamFiles: z.number().int().min(1).default(4).describe('number of stream files'),
  /** Number of days the listens span. */
  days: z.number().int().min(1).default(7).describe('days covered by the streams'),
  /** First day (UTC), `YYYY-MM-DD`. */
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
    .default('2024-06-25')
    .describe('first day of listens (UTC)'),
  /** Rows per genre in the songs file (the real file has 1,000). */
  songsPerGenre: z.number().int().min(1).default(1000).describe('song rows per genre'),
  /** Number of genres; the first 114 are the Spotify dataset's, beyond that `genre-N`. */
  genres: z.number().int().min(1).default(114).describe('number of genres'),
  /** Number of users in users.csv. */
  users: z.number().int().min(1).default(50_000).describe('number of users'),
  /** Fraction of stream rows that are dirty (one defect each, kinds in equal shares). */
  dirtyRate: z.number().min(0).max(1).default(0.01).describe('fraction of dirty stream rows'),
  /** Fraction of (valid) stream rows whose user id is not in users.csv. */
  unknownUserRate: z.number().min(0).max(1).default(0.002).describe('rows with unknown users'),
  /** Fraction of (valid) stream rows with ISO-8601 `T` timestamps and an offset or `Z`. */
  isoRate: z.number().min(0).max(1).default(0.02).describe('rows with ISO timestamps'),
  /** Fraction of distinct track ids listed under two or more genres. */
  multiGenreRate: z.number().min(0).max(1).default(0.2).describe('multi-genre track fraction'),
  /** Gzip every file (`.csv.gz`). */
  gzip: z.boolean().default(false).describe('gzip the files'),
  /** zlib level when gzipping. */
  gzipLevel: z.number().int().min(0).max(9).default(6).describe('gzip level'),
});

/** Input type of the options (defaults optional). */
export type GenerateOptions = z.input<typeof generateOptionsSchema>;
/** Options after parsing, defaults filled in. */
export type ResolvedGenerateOptions = z.output<typeof generateOptionsSchema>;
