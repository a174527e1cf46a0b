/**
 * A second, independent oracle: the SPEC section 4 KPIs computed by DuckDB
 * with SQL straight over the CSV files, validating rows in SQL the way SPEC
 * section 3 does. Used by the benchmark (as a tool and as a cross-check).
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
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { OptionsError } from '@streamkpi/core';
import { z } from 'zod';

/** Options of {@link computeDuckDbKpis}. */
export const duckDbKpisOptionsSchema = z.object({
  /** Dataset directory: `songs.csv` or `songs/`, optional `users.csv` or `users/`, `streams/`. */
  input: z.string().min(1),
  /** DuckDB worker threads. */
  threads: z.number().int().min(1).default(2),
  /** DuckDB memory limit, e.g. `4GB`; DuckDB's default when absent. */
  memoryLimit: z.string().optional(),
});

/** Options of {@link computeDuckDbKpis}. */
export type DuckDbKpisOptions = z.input<typeof duckDbKpisOptionsSchema>;

/** One entry of `top_songs`. */
export interface DuckDbTopSong {
  readonly track_id: string;
  readonly track_name: string;
  readonly listen_count: number;
}

/** One KPI item, the shape the library writes (without bookkeeping attributes). */
export interface DuckDbKpiItem {
  readonly date: string;
  readonly track_genre: string;
  readonly listen_count: number;
  readonly unique_listeners: number;
  readonly total_listening_time: number;
  /** Seconds with 2 decimals, rounded half-up, e.g. `"183.42"`. */
  readonly avg_listening_time_per_user: string;
  readonly top_3_songs: string;
  readonly top_songs: readonly DuckDbTopSong[];
  readonly top_5_genres: string;
}

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

// JavaScript's trim() also strips other Unicode spaces; those cases cost a slow
// path here, so only strings that start or end with a non-graphic byte take it.
const WS = `' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(65279)`;
const trimmed = (col: string) =>
  `(CASE WHEN regexp_matches(coalesce(${col}, ''), '^[\\s\\x{A0}\\x{FEFF}]|[\\s\\x{A0}\\x{FEFF}]$') THEN trim(${col}, ${WS}) ELSE coalesce(${col}, '') END)`;
const TS_RE =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?';
const OFFSET_RE = '([+-])([0-9]{2}):?([0-9]{2})?$';

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

async function datasetFiles(input: string, name: string): Promise<string[]> {
  const single = join(input, `${name}.csv`);
  if (existsSync(single)) return [single];
  if (existsSync(`${single}.gz`)) return [`${single}.gz`];
  const dir = join(input, name);
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) return [];
  return (await readdir(dir))
    .filter((f) => f.endsWith('.csv') || f.endsWith('.csv.gz'))
    .sort()
    .map((f) => join(dir, f));
}

const CSV_OPTS = `header=true, all_varchar=true, delim=',', quote='"', escape='"', auto_detect=false`;

async function rows(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** The header fields of a CSV file (first line; BOM and surrounding quotes removed). */
async function headerOf(file: string): Promise<string[]> {
  const source = createReadStream(file);
  const text = file.endsWith('.gz') ? source.pipe(createGunzip()) : source;
  let head = '';
  try {
    for await (const chunk of text) {
      head += (chunk as Buffer).toString('utf8');
      if (head.includes('\n') || head.length > 1 << 20) break;
    }
  } finally {
    source.destroy();
  }
  const line = (head.split('\n')[0] ?? '').replace(/^\uFEFF/, '').replace(/\r$/, '');
  return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
}

/**
 * Loads the given columns of CSV files into `table` in file order (with
 * `preserve_insertion_order`, `rowid` then follows file order), skipping files
 * without the required columns. Rows the reader
 * cannot fit to the header are not loaded; returns how many there were.
 */
async function load(
  c: DuckDBConnection,
  table: string,
  files: readonly string[],
  columns: readonly string[],
): Promise<{ rejectedRows: number; filesRejected: number }> {
  const cols = columns.map((col) => `${col} VARCHAR`).join(', ');
  await c.run(`CREATE OR REPLACE TEMP TABLE ${table} (${cols})`);
  let rejectedRows = 0;
  let filesRejected = 0;
  for (const file of files) {
    const header = await headerOf(file);
    if (!columns.every((col) => header.includes(col))) {
      filesRejected++;
      continue;
    }
    const types = header.map((h) => `${sqlString(h)}: 'VARCHAR'`).join(', ');
    await c.run(
      `INSERT INTO ${table} SELECT ${columns.map((col) => `"${col}"`).join(', ')}
       FROM read_csv(${sqlString(file)}, ${CSV_OPTS}, columns={${types}}, ignore_errors=true,
                     store_rejects=true, rejects_table='rej_${table}', rejects_scan='rejscan_${table}')`,
    );
    // The rejects table accumulates over scans: count this scan's lines only.
    const [r] = await rows(
      c,
      `SELECT count(DISTINCT line) AS n FROM rej_${table}
       WHERE scan_id = (SELECT max(scan_id) FROM rej_${table})`,
    );
    rejectedRows += Number(r?.n ?? 0);
  }
  return { rejectedRows, filesRejected };
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
  const { input, threads, memoryLimit } = parsed.data;
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
    await c.run(`CREATE TEMP TABLE songs AS
      SELECT tid, genre, name, CAST(dur_s AS BIGINT) AS dur FROM (
        SELECT ${trimmed('track_id')} AS tid, ${trimmed('track_genre')} AS genre,
               ${trimmed('track_name')} AS name, ${trimmed('duration_ms')} AS dur_s, rowid AS ord
        FROM songs_raw)
      WHERE tid <> '' AND genre <> '' AND regexp_full_match(dur_s, '[0-9]+')
        AND TRY_CAST(dur_s AS HUGEINT) <= 9007199254740991
      QUALIFY row_number() OVER (PARTITION BY tid, genre ORDER BY ord) = 1`);
    const [songCounts] = await rows(
      c,
      `SELECT (SELECT count(*) FROM songs_raw) AS loaded,
              (SELECT count(*) FROM songs_raw) - (SELECT count(*) FROM (
                 SELECT 1 FROM songs_raw
                 WHERE ${trimmed('track_id')} <> '' AND ${trimmed('track_genre')} <> ''
                   AND regexp_full_match(${trimmed('duration_ms')}, '[0-9]+')
                   AND TRY_CAST(${trimmed('duration_ms')} AS HUGEINT) <= 9007199254740991)) AS invalid`,
    );

    // Order no longer matters from here on; keeping it would serialize work.
    await c.run('SET preserve_insertion_order = false');
    let userFilesRejected = 0;
    if (userFiles.length > 0) {
      userFilesRejected = (await load(c, 'users_raw', userFiles, ['user_id'])).filesRejected;
      await c.run(`CREATE TEMP TABLE users AS SELECT DISTINCT TRY_CAST(u AS HUGEINT) AS uid FROM (
          SELECT ${trimmed('user_id')} AS u FROM users_raw) WHERE regexp_full_match(u, '[0-9]+')`);
    } else {
      await c.run('CREATE TEMP TABLE users (uid HUGEINT)');
    }

    const streamsLoad = await load(c, 'streams_raw', streamFiles, [
      'user_id',
      'track_id',
      'listen_time',
    ]);
    // Validation as SPEC section 3; the date is the UTC calendar day of the instant.
    await c.run(`CREATE TEMP TABLE checked AS
      WITH t AS (
        SELECT ${trimmed('user_id')} AS u, ${trimmed('track_id')} AS tid, ${trimmed('listen_time')} AS lt
        FROM streams_raw
      ), p AS (
        SELECT u, tid, lt,
          regexp_full_match(u, '[0-9]+') AND TRY_CAST(u AS HUGEINT) BETWEEN 1 AND 9007199254740991 AS u_ok,
          tid <> '' AS t_ok,
          regexp_full_match(lt, '${TS_RE}') AS fmt
        FROM t
      ), q AS (
        SELECT *,
          CASE WHEN fmt THEN TRY_CAST(substr(lt, 1, 10) AS DATE) END AS d,
          CASE WHEN fmt THEN CAST(substr(lt, 12, 2) AS INTEGER) END AS hh,
          CASE WHEN fmt THEN CAST(substr(lt, 15, 2) AS INTEGER) END AS mi,
          CASE WHEN fmt THEN CAST(substr(lt, 18, 2) AS INTEGER) END AS ss,
          CASE WHEN fmt THEN regexp_extract(substr(lt, 20), '${OFFSET_RE}', 1) END AS osign,
          CASE WHEN fmt THEN TRY_CAST(regexp_extract(substr(lt, 20), '${OFFSET_RE}', 2) AS INTEGER) END AS oh,
          CASE WHEN fmt THEN TRY_CAST(regexp_extract(substr(lt, 20), '${OFFSET_RE}', 3) AS INTEGER) END AS om
        FROM p
      ), r AS (
        SELECT q.*, known.tid IS NOT NULL AS known,
          coalesce(fmt AND d IS NOT NULL AND hh <= 23 AND mi <= 59 AND ss <= 59
                   AND coalesce(oh, 0) <= 23 AND coalesce(om, 0) <= 59, false) AS lt_ok
        FROM q LEFT JOIN (SELECT DISTINCT tid FROM songs) known USING (tid)
      )
      SELECT
        CASE WHEN u_ok THEN CAST(u AS BIGINT) END AS uid,
        tid,
        CASE WHEN u_ok AND t_ok AND lt_ok THEN
          DATE '1970-01-01' + CAST(floor((
            (d - DATE '1970-01-01') * 86400 + hh * 3600 + mi * 60 + ss
            - (CASE WHEN osign = '-' THEN -1 ELSE 1 END) * (coalesce(oh, 0) * 60 + coalesce(om, 0)) * 60
          ) / 86400.0) AS INTEGER)
        END AS day,
        CASE WHEN NOT u_ok THEN 'invalid_user_id' WHEN NOT t_ok THEN 'invalid_track_id'
             WHEN NOT lt_ok THEN 'invalid_listen_time'
             WHEN NOT known THEN 'unknown_track' END AS reason
      FROM r`);

    const reasonRows = await rows(
      c,
      'SELECT reason, count(*) AS n FROM checked WHERE reason IS NOT NULL GROUP BY reason',
    );
    const rejectedByReason: Record<string, number> = {};
    if (streamsLoad.rejectedRows > 0) rejectedByReason.ragged_row = streamsLoad.rejectedRows;
    for (const r of reasonRows) rejectedByReason[String(r.reason)] = Number(r.n);
    const [totals] = await rows(
      c,
      `SELECT count(*) AS loaded, count(*) FILTER (WHERE reason IS NULL) AS aggregated,
              count(*) FILTER (WHERE reason IS NULL AND users.uid IS NULL) AS unknown_users
       FROM checked LEFT JOIN users ON checked.uid = users.uid`,
    );

    const items = await rows(
      c,
      `WITH j AS (
        SELECT k.day, k.uid, s.genre, s.tid, s.name, s.dur
        FROM checked k JOIN songs s ON k.tid = s.tid WHERE k.reason IS NULL
      ), g AS (
        SELECT day, genre, count(*) AS listen_count, count(DISTINCT uid) AS ul,
               CAST(sum(dur) AS HUGEINT) AS total
        FROM j GROUP BY day, genre
      ), tc AS (
        SELECT day, genre, tid, any_value(name) AS name, count(*) AS c FROM j GROUP BY day, genre, tid
      ), ranked AS (
        -- Ties: the stored name (empty first), then the id; byte order of UTF-8 = code-point order.
        SELECT *, row_number() OVER (
          PARTITION BY day, genre ORDER BY c DESC, encode(name), encode(tid)) AS rn
        FROM tc
      ), top AS (
        SELECT day, genre,
          string_agg(CASE WHEN name = '' THEN tid ELSE name END, ', ' ORDER BY rn) AS top3,
          to_json(list({'track_id': tid, 'track_name': CASE WHEN name = '' THEN tid ELSE name END,
                        'listen_count': c} ORDER BY rn)) AS top_songs
        FROM ranked WHERE rn <= 3 GROUP BY day, genre
      ), gr AS (
        SELECT day, string_agg(genre, ', ' ORDER BY rn) AS top5 FROM (
          SELECT day, genre, row_number() OVER (
            PARTITION BY day ORDER BY listen_count DESC, encode(genre)) AS rn
          FROM g) WHERE rn <= 5 GROUP BY day
      ), a AS (
        -- Half-up rounding of total / ul / 1000 to 2 places in exact integer arithmetic.
        SELECT *, (2 * total + ul * 10) // (ul * 20) AS cents FROM g
      )
      SELECT strftime(a.day, '%Y-%m-%d') AS date, a.genre AS track_genre, a.listen_count,
        a.ul AS unique_listeners, a.total AS total_listening_time,
        CAST(a.cents // 100 AS VARCHAR) || '.' || lpad(CAST(a.cents % 100 AS VARCHAR), 2, '0') AS avg,
        top.top3, CAST(top.top_songs AS VARCHAR) AS top_songs, gr.top5
      FROM a JOIN top USING (day, genre) JOIN gr USING (day)
      ORDER BY encode(date), encode(a.genre)`,
    );

    const rowsLoaded = Number(totals?.loaded ?? 0);
    const rowsAggregated = Number(totals?.aggregated ?? 0);
    const rowsRead = rowsLoaded + streamsLoad.rejectedRows;
    return {
      items: items.map((r) => ({
        date: String(r.date),
        track_genre: String(r.track_genre),
        listen_count: Number(r.listen_count),
        unique_listeners: Number(r.unique_listeners),
        total_listening_time: Number(r.total_listening_time),
        avg_listening_time_per_user: String(r.avg),
        top_3_songs: String(r.top3),
        top_songs: (JSON.parse(String(r.top_songs)) as DuckDbTopSong[]).map((t) => ({
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
        filesRejected: streamsLoad.filesRejected + songsLoad.filesRejected + userFilesRejected,
        songRows: Number(songCounts?.loaded ?? 0) + songsLoad.rejectedRows,
        songRowsRejected: Number(songCounts?.invalid ?? 0) + songsLoad.rejectedRows,
      },
    };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
