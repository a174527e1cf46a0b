/**
 * The KPI oracle: a deliberately simple reference implementation of SPEC
 * section 4 over plain arrays. Slow on purpose (Intl per row, strings as map
 * keys, full sorts) so that it is obviously right; every optimised path is
 * checked against it. It takes rows that already passed validation.
 */
import { Decimal } from 'decimal.js';
import type { KpiItem, SongRow, StreamRow } from '../../src/index.js';

const D = Decimal.clone({ precision: 100 });

/** Options of {@link oracleKpis}. */
export interface OracleOptions {
  readonly timeZone?: string;
  readonly sourceTimeZone?: string;
}

/** Compares strings by Unicode code point. */
export function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** Offset (ms) of `timeZone` at instant `ms`, straight from Intl. */
export function zoneOffset(timeZone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  // Intl drops the milliseconds: compare with the instant truncated to the
  // second, or a fractional instant gets an offset off by its fraction.
  return (
    Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) -
    (ms - (((ms % 1000) + 1000) % 1000))
  );
}

/** Calendar date `YYYY-MM-DD` of instant `ms` in `timeZone`. */
export function dateIn(timeZone: string, ms: number): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * The instant of `listen_time`. Zone-less times are read in `sourceTimeZone`:
 * in an overlap the earlier instant, in a gap the offset before the change.
 */
export function instantOf(listenTime: string, sourceTimeZone: string): number {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[ Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      listenTime.trim(),
    );
  if (m === null) throw new Error(`oracle: bad listen_time ${listenTime}`);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000 + 1e-9);
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  const zone = m[8];
  if (zone === 'Z' || zone === 'z') return wall;
  if (zone !== undefined) {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    return wall - sign * minutes * 60_000;
  }
  const candidates = new Set([
    zoneOffset(sourceTimeZone, wall - 86_400_000),
    zoneOffset(sourceTimeZone, wall + 86_400_000),
  ]);
  const valid = [...candidates]
    .map((o) => wall - o)
    .filter((u) => zoneOffset(sourceTimeZone, u) === wall - u)
    .sort((a, b) => a - b);
  if (valid.length > 0) return valid[0]!;
  return wall - zoneOffset(sourceTimeZone, wall - 86_400_000);
}

/** The KPI items SPEC section 4 defines for `streams` joined with `songs`. */
export function oracleKpis(
  songs: readonly SongRow[],
  streams: readonly StreamRow[],
  options: OracleOptions = {},
): KpiItem[] {
  const timeZone = options.timeZone ?? 'UTC';
  const sourceTimeZone = options.sourceTimeZone ?? 'UTC';
  // (track, genre) → first row.
  const pairs = new Map<string, SongRow>();
  const genresOf = new Map<string, string[]>();
  for (const s of songs) {
    const key = JSON.stringify([s.track_id, s.track_genre]);
    if (pairs.has(key)) continue;
    pairs.set(key, s);
    genresOf.set(s.track_id, [...(genresOf.get(s.track_id) ?? []), s.track_genre]);
  }
  interface Group {
    date: string;
    genre: string;
    listens: number;
    users: Set<number>;
    total: number;
    tracks: Map<string, { name: string; count: number }>;
  }
  const groups = new Map<string, Group>();
  for (const row of streams) {
    const genres = genresOf.get(row.track_id);
    if (genres === undefined) continue; // unknown_track: dead-lettered
    const date = dateIn(timeZone, instantOf(row.listen_time, sourceTimeZone));
    for (const genre of genres) {
      const song = pairs.get(JSON.stringify([row.track_id, genre]))!;
      const key = JSON.stringify([date, genre]);
      let g = groups.get(key);
      if (g === undefined) {
        g = { date, genre, listens: 0, users: new Set(), total: 0, tracks: new Map() };
        groups.set(key, g);
      }
      g.listens += 1;
      g.users.add(row.user_id);
      g.total += song.duration_ms;
      const t = g.tracks.get(row.track_id) ?? { name: song.track_name, count: 0 };
      t.count += 1;
      g.tracks.set(row.track_id, t);
    }
  }
  const all = [...groups.values()];
  const items: KpiItem[] = [];
  for (const g of all) {
    const top5 = all
      .filter((o) => o.date === g.date)
      .sort((a, b) => b.listens - a.listens || codePointCompare(a.genre, b.genre))
      .slice(0, 5)
      .map((o) => o.genre)
      .join(', ');
    const top = [...g.tracks.entries()]
      .map(([id, t]) => ({ id, name: t.name, count: t.count }))
      .sort(
        (a, b) =>
          b.count - a.count || codePointCompare(a.name, b.name) || codePointCompare(a.id, b.id),
      )
      .slice(0, 3)
      .map((t) => ({
        track_id: t.id,
        track_name: t.name === '' ? t.id : t.name,
        listen_count: t.count,
      }));
    items.push({
      date: g.date,
      track_genre: g.genre,
      listen_count: g.listens,
      unique_listeners: g.users.size,
      total_listening_time: g.total,
      avg_listening_time_per_user: new D(g.total)
        .div(g.users.size)
        .div(1000)
        .toDecimalPlaces(2, Decimal.ROUND_HALF_UP)
        .toFixed(2),
      top_3_songs: top.map((t) => t.track_name).join(', '),
      top_songs: top,
      top_5_genres: top5,
    });
  }
  return items.sort(
    (a, b) => codePointCompare(a.date, b.date) || codePointCompare(a.track_genre, b.track_genre),
  );
}
