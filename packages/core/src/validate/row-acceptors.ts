/**
 * One row acceptor per dataset: reads a row of a column-shaped
 * {@link RowBatch} and appends it to the dataset's validated columns. Its
 * fast path takes only plainly valid rows (the common, clean forms) and
 * returns false for anything else, so the caller asks the zod schema of
 * schemas.ts; what the schema accepted is appended with `push`. The
 * acceptors and the schemas are tested against each other
 * (row-acceptors.test.ts): the fast path appends exactly the schema's value.
 */
import { column, cutColumns, doubleColumn } from '../internal/column.js';
import type { Dataset, SongRow, SourceRef, StreamBatch, UserRow, ValidBatch } from '../types.js';
import {
  fastListenAt,
  fastNonNegative,
  fastUserId,
  isTrimmedNonEmpty,
  listenRead,
} from './internal/field-readers.js';
import type { DatasetRow } from './schemas.js';
import { type ListenTimeWindow, listenTimeInWindow, parseTimestampParts } from './time.js';

/** The validated batch of each dataset. */
export interface ValidatedBatch {
  readonly streams: StreamBatch;
  readonly songs: ValidBatch<SongRow>;
  readonly users: ValidBatch<UserRow>;
}

/** How one dataset's rows become its validated columns. */
export interface RowAcceptor<D extends Dataset> {
  /** The columns the fast path reads, in the order of its `index` argument. */
  readonly fields: readonly string[];
  /**
   * An empty validated batch with room for `capacity` rows (its columns are
   * allocated once at that size; {@link RowAcceptor.end} cuts them to the
   * rows appended).
   */
  create(source: SourceRef, capacity?: number): ValidatedBatch[D];
  /** Cuts the columns of `out` to its `length` (after a `create` with a capacity). */
  end(out: ValidatedBatch[D]): void;
  /**
   * Appends the row `cells[base .. end)` if it is plainly valid (`index[i]`:
   * the cell of `fields[i]`); false, having appended nothing, otherwise.
   */
  fast(
    out: ValidatedBatch[D],
    cells: readonly (string | undefined)[],
    base: number,
    end: number,
    index: Int32Array,
    line: number,
  ): boolean;
  /** Appends a row the zod schema accepted. */
  push(out: ValidatedBatch[D], value: DatasetRow[D], line: number): void;
}

function cell(cells: readonly (string | undefined)[], at: number, end: number) {
  return at < end ? cells[at] : undefined;
}

function pushListen(out: StreamBatch, value: DatasetRow['streams'], line: number): void {
  let at: number;
  let zoned: number;
  if (fastListenAt(value.listen_time)) {
    at = listenRead.instant[0]!;
    zoned = listenRead.zoned[0]!;
  } else {
    // The schema accepted it, so the strict parser reads it.
    const parts = parseTimestampParts(value.listen_time)!;
    zoned = parts.offsetMinutes === undefined ? 0 : 1;
    at = parts.wallMs - (parts.offsetMinutes ?? 0) * 60_000;
  }
  const r = out.length++;
  out.values.user_id[r] = value.user_id;
  out.values.track_id[r] = value.track_id;
  out.values.listen_time[r] = value.listen_time;
  out.listenAt[r] = at;
  out.listenZoned[r] = zoned;
  out.lines[r] = line;
}

/**
 * The streams acceptor for a `listen_time` window: its fast path takes a row
 * only when the instant lies inside the window (`listenTimeInWindow`, the
 * rule the zod schema applies), else the schema decides and names the reason.
 */
function streamsAcceptor(window?: ListenTimeWindow): RowAcceptor<'streams'> {
  return {
    fields: ['user_id', 'track_id', 'listen_time'],
    create: (source, capacity = 0) => ({
      source,
      length: 0,
      lines: column(capacity),
      values: {
        user_id: column(capacity),
        track_id: column(capacity),
        listen_time: column(capacity),
      },
      listenAt: doubleColumn(capacity),
      listenZoned: column(capacity),
    }),
    end(out) {
      cutColumns(out.length, out.lines, out.listenAt, out.listenZoned);
      cutColumns(out.length, out.values.user_id, out.values.track_id, out.values.listen_time);
    },
    fast(out, cells, base, end, index, line) {
      const u = cell(cells, base + index[0]!, end);
      const t = cell(cells, base + index[1]!, end);
      const l = cell(cells, base + index[2]!, end);
      if (u === undefined || t === undefined || l === undefined) return false;
      const userId = fastUserId(u);
      if (userId < 0 || !isTrimmedNonEmpty(t)) return false;
      if (!fastListenAt(l)) return false;
      const at = listenRead.instant[0]!;
      if (!listenTimeInWindow(at, window)) return false;
      const r = out.length++;
      out.values.user_id[r] = userId;
      out.values.track_id[r] = t;
      out.values.listen_time[r] = l;
      out.listenAt[r] = at;
      out.listenZoned[r] = listenRead.zoned[0]!;
      out.lines[r] = line;
      return true;
    },
    push: pushListen,
  };
}

function pushSong(out: ValidBatch<SongRow>, value: SongRow, line: number): void {
  const r = out.length++;
  out.values.track_id[r] = value.track_id;
  out.values.track_name[r] = value.track_name;
  out.values.duration_ms[r] = value.duration_ms;
  out.values.track_genre[r] = value.track_genre;
  out.lines[r] = line;
}

const songs: RowAcceptor<'songs'> = {
  fields: ['track_id', 'track_name', 'duration_ms', 'track_genre'],
  create: (source, capacity = 0) => ({
    source,
    length: 0,
    lines: column(capacity),
    values: {
      track_id: column(capacity),
      track_name: column(capacity),
      duration_ms: column(capacity),
      track_genre: column(capacity),
    },
  }),
  end(out) {
    const { track_id, track_name, duration_ms, track_genre } = out.values;
    cutColumns(out.length, out.lines, track_id, track_name, duration_ms, track_genre);
  },
  fast(out, cells, base, end, index, line) {
    const t = cell(cells, base + index[0]!, end);
    const n = cell(cells, base + index[1]!, end);
    const g = cell(cells, base + index[3]!, end);
    if (t === undefined || n === undefined || g === undefined) return false;
    const duration = fastNonNegative(cell(cells, base + index[2]!, end));
    if (duration < 0 || !isTrimmedNonEmpty(t) || !isTrimmedNonEmpty(g)) return false;
    pushSong(
      out,
      { track_id: t, track_name: n.trim(), duration_ms: duration, track_genre: g },
      line,
    );
    return true;
  },
  push: pushSong,
};

const users: RowAcceptor<'users'> = {
  fields: ['user_id'],
  create: (source, capacity = 0) => ({
    source,
    length: 0,
    lines: column(capacity),
    values: { user_id: column(capacity) },
  }),
  end(out) {
    cutColumns(out.length, out.lines, out.values.user_id);
  },
  fast(out, cells, base, end, index, line) {
    const u = cell(cells, base + index[0]!, end);
    const userId = u === undefined ? -1 : fastUserId(u);
    if (userId < 0) return false;
    const r = out.length++;
    out.values.user_id[r] = userId;
    out.lines[r] = line;
    return true;
  },
  push(out, value, line) {
    const r = out.length++;
    out.values.user_id[r] = value.user_id;
    out.lines[r] = line;
  },
};

/** The acceptor of each dataset. */
export const rowAcceptors: { readonly [D in Dataset]: RowAcceptor<D> } = {
  streams: streamsAcceptor(),
  songs,
  users,
};

/** The acceptor of `dataset`, streams with the given `listen_time` window. */
export function rowAcceptorFor<D extends Dataset>(
  dataset: D,
  window?: ListenTimeWindow,
): RowAcceptor<D> {
  if (dataset === 'streams' && window !== undefined) {
    return streamsAcceptor(window) as unknown as RowAcceptor<D>;
  }
  return rowAcceptors[dataset];
}
