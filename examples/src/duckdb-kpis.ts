/**
 * A second, independent oracle: the SPEC section 4 KPIs computed by DuckDB
 * with SQL straight over the CSV files, validating rows in SQL the way SPEC
 * section 3 does. Used by the benchmark (as a tool and as a cross-check).
 *
 * Two ways to run the stream side, same results:
 * - `'per-file'` (default): each file loaded into a table on its own, then
 *   one query per step (validation, reasons, totals, items) — how a
 *   pipeline with per-file accounting would use DuckDB.
 * - `'one-statement'`: DuckDB's best case, what a user who picks DuckDB
 *   writes: one statement over all stream files (`read_csv` of the file
 *   list), validation, join, `count(DISTINCT)`, window top-3/top-5 and the
 *   reject counts, nothing written but the result.
 *
 * Differences from the library, by design or limitation:
 * - CSV only (`.csv`, `.csv.gz`), UTC dates only.
 * - A file whose header lacks a required column is skipped and counted in
 *   `filesRejected`.
 * - Rows DuckDB's CSV reader cannot fit to the header (too few/many fields,
 *   bad quoting) are counted as `ragged_row`.
 * - A rejected row is counted under its first failing reason in the order
 *   user_id, track_id, listen_time (as the library's validator does).
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type KpiItem, OptionsError } from '@streamkpi/core';
import { z } from 'zod';
import { datasetFiles, filesByHeader, load, readCsvSql, rows } from './duckdb/csv-files.js';
import {
  checkedSql,
  ITEMS_CTES,
  ITEMS_ORDER,
  oneStatementSql,
  REASONS_SQL,
  SONG_COUNTS_SQL,
  SONGS_SQL,
  TOTALS_SQL,
  USERS_SQL,
} from './duckdb/kpi-sql.js';

/** Options of {@link computeDuckDbKpis}. */
export const duckDbKpisOptionsSchema = z.object({
  /** Dataset directory: `songs.csv` or `songs/`, optional `users.csv` or `users/`, `streams/`. */
  input: z.string().min(1),
  /** DuckDB worker threads. */
  threads: z.number().int().min(1).default(2),
  /** DuckDB memory limit, e.g. `4GB`; DuckDB's default when absent. */
  memoryLimit: z.string().optional(),
  /** `'per-file'` (default) or `'one-statement'` over all stream files (see the module comment). */
  mode: z.enum(['per-file', 'one-statement']).default('per-file'),
});

/** Options of {@link computeDuckDbKpis}. */
export type DuckDbKpisOptions = z.input<typeof duckDbKpisOptionsSchema>;

/** One KPI item as the library writes it (without bookkeeping attributes): core's {@link KpiItem}. */
export type DuckDbKpiItem = Omit<KpiItem, 'updated_at'>;

/** Row counts of a run, in the library's reason codes. */
export interface DuckDbKpiCounts {
  /** Stream data rows read (header excluded), ragged ones included. */
  readonly rowsRead: number;
  readonly rowsAggregated: number;
  readonly rowsRejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** Aggregated rows whose user id is not in the users file (0 without a users file). */
  readonly unknownUserRows: number;
  readonly filesRejected: number;
  readonly songRows: number;
  readonly songRowsRejected: number;
}

/** Result of {@link computeDuckDbKpis}. */
export interface DuckDbKpiResult {
  /** Sorted by (date, genre) in code-point order. */
  readonly items: DuckDbKpiItem[];
  readonly counts: DuckDbKpiCounts;
}

const STREAM_COLUMNS = ['user_id', 'track_id', 'listen_time'] as const;

/** What the stream side yields, either way. */
interface StreamSide {
  readonly items: Record<string, unknown>[];
  readonly reasons: Record<string, unknown>[];
  readonly totals: Record<string, unknown> | undefined;
  readonly raggedRows: number;
  readonly filesRejected: number;
}

/** Streams loaded file by file into `streams_raw`, then one query per step. */
async function perFile(c: DuckDBConnection, files: readonly string[]): Promise<StreamSide> {
  const loaded = await load(c, 'streams_raw', files, STREAM_COLUMNS);
  await c.run(`CREATE TEMP TABLE checked AS ${checkedSql('streams_raw')}`);
  const reasons = await rows(c, REASONS_SQL);
  const [totals] = await rows(c, TOTALS_SQL);
  const items = await rows(c, `WITH ${ITEMS_CTES} SELECT * FROM kpi_items ${ITEMS_ORDER}`);
  return {
    items,
    reasons,
    totals,
    raggedRows: loaded.rejectedRows,
    filesRejected: loaded.filesRejected,
  };
}

/** Every stream file in one statement (one `read_csv` per distinct header). */
async function oneStatement(c: DuckDBConnection, files: readonly string[]): Promise<StreamSide> {
  const { groups, filesRejected } = await filesByHeader(files, STREAM_COLUMNS);
  if (groups.length === 0) {
    return { items: [], reasons: [], totals: undefined, raggedRows: 0, filesRejected };
  }
  const source = groups
    .map((g, i) => readCsvSql(g.files, g.header, STREAM_COLUMNS, `streams_${i}`))
    .join(' UNION ALL ');
  const result = await rows(c, oneStatementSql(`(${source})`));
  // Rows the reader could not fit, per (file, line), from each read's rejects table.
  let raggedRows = 0;
  for (let i = 0; i < groups.length; i++) {
    const [r] = await rows(c, `SELECT count(DISTINCT (file_id, line)) AS n FROM rej_streams_${i}`);
    raggedRows += Number(r?.n ?? 0);
  }
  return {
    items: result.filter((r) => r.kind === 'item'),
    reasons: result.filter((r) => r.kind === 'reason'),
    totals: result.find((r) => r.kind === 'totals'),
    raggedRows,
    filesRejected,
  };
}

/**
 * Computes the KPI items of SPEC section 4 with DuckDB over the CSV files of
 * `input`, as an independent cross-check of the library.
 *
 * @throws OptionsError on invalid options or when no songs/streams files exist.
 */
export async function computeDuckDbKpis(options: DuckDbKpisOptions): Promise<DuckDbKpiResult> {
  const parsed = duckDbKpisOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new OptionsError(`Invalid computeDuckDbKpis options: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  const { input, threads, memoryLimit, mode } = parsed.data;
  const songFiles = await datasetFiles(input, 'songs');
  const streamFiles = await datasetFiles(input, 'streams');
  const userFiles = await datasetFiles(input, 'users');
  if (songFiles.length === 0) throw new OptionsError(`No songs CSV files under ${input}`);
  if (streamFiles.length === 0) throw new OptionsError(`No streams CSV files under ${input}`);

  const config: Record<string, string> = { threads: String(threads) };
  if (memoryLimit !== undefined) config.memory_limit = memoryLimit;
  const instance = await DuckDBInstance.create(':memory:', config);
  const c = await instance.connect();
  try {
    // Insertion order must follow file order: "first row in file order wins".
    await c.run('SET preserve_insertion_order = true');
    const songsLoad = await load(c, 'songs_raw', songFiles, [
      'track_id',
      'track_name',
      'duration_ms',
      'track_genre',
    ]);
    await c.run(SONGS_SQL);
    const [songCounts] = await rows(c, SONG_COUNTS_SQL);

    // Order no longer matters from here on; keeping it would serialize work.
    await c.run('SET preserve_insertion_order = false');
    let userFilesRejected = 0;
    if (userFiles.length > 0) {
      userFilesRejected = (await load(c, 'users_raw', userFiles, ['user_id'])).filesRejected;
      await c.run(USERS_SQL);
    } else {
      await c.run('CREATE TEMP TABLE users (uid HUGEINT)');
    }

    const streams = await (mode === 'one-statement' ? oneStatement : perFile)(c, streamFiles);
    const rejectedByReason: Record<string, number> = {};
    if (streams.raggedRows > 0) rejectedByReason.ragged_row = streams.raggedRows;
    for (const r of streams.reasons) rejectedByReason[String(r.reason)] = Number(r.n);
    const { totals } = streams;
    const rowsAggregated = Number(totals?.aggregated ?? 0);
    const rowsRead = Number(totals?.loaded ?? 0) + streams.raggedRows;
    return {
      items: streams.items.map((r) => ({
        date: String(r.date),
        track_genre: String(r.track_genre),
        listen_count: Number(r.listen_count),
        unique_listeners: Number(r.unique_listeners),
        total_listening_time: Number(r.total_listening_time),
        avg_listening_time_per_user: String(r.avg),
        top_3_songs: String(r.top3),
        top_songs: (JSON.parse(String(r.top_songs)) as DuckDbKpiItem['top_songs']).map((t) => ({
          track_id: t.track_id,
          track_name: t.track_name,
          listen_count: Number(t.listen_count),
        })),
        top_5_genres: String(r.top5),
      })),
      counts: {
        rowsRead,
        rowsAggregated,
        rowsRejected: rowsRead - rowsAggregated,
        rejectedByReason,
        unknownUserRows: userFiles.length > 0 ? Number(totals?.unknown_users ?? 0) : 0,
        filesRejected: streams.filesRejected + songsLoad.filesRejected + userFilesRejected,
        songRows: Number(songCounts?.loaded ?? 0) + songsLoad.rejectedRows,
        songRowsRejected: Number(songCounts?.invalid ?? 0) + songsLoad.rejectedRows,
      },
    };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
