/**
 * The SQL of the DuckDB oracle: SPEC section 3 validation of stream rows
 * and the SPEC section 4 KPIs, as text both variants (a table per step, or
 * one statement over all files) put together.
 */

// JavaScript's trim() also strips other Unicode spaces; those cases cost a slow
// path here, so only strings that start or end with a non-graphic byte take it.
const WS = `' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(65279)`;
/** `col` trimmed as JavaScript's `trim()` does, `''` for NULL. */
export const trimmed = (col: string) =>
  `(CASE WHEN regexp_matches(coalesce(${col}, ''), '^[\\s\\x{A0}\\x{FEFF}]|[\\s\\x{A0}\\x{FEFF}]$') THEN trim(${col}, ${WS}) ELSE coalesce(${col}, '') END)`;
const TS_RE =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?';
const OFFSET_RE = '([+-])([0-9]{2}):?([0-9]{2})?$';

/** A valid song row: ids and genre present, duration a safe non-negative integer. */
const SONG_OK = (id: string, genre: string, duration: string) =>
  `${id} <> '' AND ${genre} <> '' AND regexp_full_match(${duration}, '[0-9]+')
   AND TRY_CAST(${duration} AS HUGEINT) <= 9007199254740991`;

/** `songs (tid, genre, name, dur)` from `songs_raw`: valid rows, first of each (id, genre) in file order. */
export const SONGS_SQL = `CREATE TEMP TABLE songs AS
  SELECT tid, genre, name, CAST(dur_s AS BIGINT) AS dur FROM (
    SELECT ${trimmed('track_id')} AS tid, ${trimmed('track_genre')} AS genre,
           ${trimmed('track_name')} AS name, ${trimmed('duration_ms')} AS dur_s, rowid AS ord
    FROM songs_raw)
  WHERE ${SONG_OK('tid', 'genre', 'dur_s')}
  QUALIFY row_number() OVER (PARTITION BY tid, genre ORDER BY ord) = 1`;

/** Song rows loaded and song rows invalid. */
export const SONG_COUNTS_SQL = `SELECT (SELECT count(*) FROM songs_raw) AS loaded,
  (SELECT count(*) FROM songs_raw) - (SELECT count(*) FROM (
     SELECT 1 FROM songs_raw
     WHERE ${SONG_OK(trimmed('track_id'), trimmed('track_genre'), trimmed('duration_ms'))})) AS invalid`;

/** `users (uid)` from `users_raw`: the distinct valid ids. */
export const USERS_SQL = `CREATE TEMP TABLE users AS SELECT DISTINCT TRY_CAST(u AS HUGEINT) AS uid FROM (
  SELECT ${trimmed('user_id')} AS u FROM users_raw) WHERE regexp_full_match(u, '[0-9]+')`;

/**
 * Stream rows of `source` (a relation with `user_id, track_id, listen_time`)
 * checked as SPEC section 3: `uid, tid, day` (the UTC calendar day of the
 * instant) and the first failing `reason`, NULL for a valid row.
 */
export function checkedSql(source: string): string {
  return `WITH t AS (
    SELECT ${trimmed('user_id')} AS u, ${trimmed('track_id')} AS tid, ${trimmed('listen_time')} AS lt
    FROM ${source}
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
  FROM r`;
}

/** Rejected rows of `checked` per reason: `reason, n`. */
export const REASONS_SQL =
  'SELECT reason, count(*) AS n FROM checked WHERE reason IS NOT NULL GROUP BY reason';

/** Rows of `checked` loaded, aggregated, and aggregated with a user not in `users`. */
export const TOTALS_SQL = `SELECT count(*) AS loaded, count(*) FILTER (WHERE reason IS NULL) AS aggregated,
  count(*) FILTER (WHERE reason IS NULL AND users.uid IS NULL) AS unknown_users
  FROM checked LEFT JOIN users ON checked.uid = users.uid`;

/**
 * CTEs from `checked` and `songs` to `kpi_items` (`date, track_genre,
 * listen_count, unique_listeners, total_listening_time, avg, top3,
 * top_songs, top5`), for a `WITH` list.
 */
export const ITEMS_CTES = `j AS (
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
  ), kpi_items AS (
    SELECT strftime(a.day, '%Y-%m-%d') AS date, a.genre AS track_genre, a.listen_count,
      a.ul AS unique_listeners, a.total AS total_listening_time,
      CAST(a.cents // 100 AS VARCHAR) || '.' || lpad(CAST(a.cents % 100 AS VARCHAR), 2, '0') AS avg,
      top.top3, CAST(top.top_songs AS VARCHAR) AS top_songs, gr.top5
    FROM a JOIN top USING (day, genre) JOIN gr USING (day)
  )`;

/** Orders `kpi_items` rows by (date, genre) in code-point order. */
export const ITEMS_ORDER = 'ORDER BY encode(date), encode(track_genre)';

/**
 * The whole stream side as one statement over `source`: every KPI item
 * (`kind = 'item'`), the rejected rows per reason (`'reason'`) and the
 * totals (`'totals'`), one result.
 */
export function oneStatementSql(source: string): string {
  return `WITH checked AS MATERIALIZED (${checkedSql(source)}),
  ${ITEMS_CTES}
  SELECT * FROM (
    SELECT 'item' AS kind, * FROM kpi_items
    UNION ALL BY NAME SELECT 'reason' AS kind, * FROM (${REASONS_SQL})
    UNION ALL BY NAME SELECT 'totals' AS kind, * FROM (${TOTALS_SQL}))
  ORDER BY kind, encode(date), encode(track_genre)`;
}
