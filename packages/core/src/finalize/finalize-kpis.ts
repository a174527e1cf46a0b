/**
 * Turns a {@link KpiState} into the KPI items of SPEC section 4, one per
 * date × genre, sorted by (date, genre) in code-point order.
 *
 * Rules pinned here:
 * - `avg_listening_time_per_user` = total / unique / 1000 with decimal.js,
 *   ROUND_HALF_UP to 2 decimal places, as a string (never a float).
 * - `top_3_songs`: most listens first; ties by `track_name`, then `track_id`,
 *   both in code-point order. The tie-break uses the name as stored (an empty
 *   name sorts first); the output shows an empty name as the `track_id`.
 * - `top_5_genres`: genres by listens on the date; ties by genre name
 *   (code-point order); the same string on every item of the date.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { compareCodePoints } from '../aggregate/internal/kpi-compare.js';
import { UserIdSet } from '../aggregate/internal/kpi-user-set.js';
import { type KpiCell, KpiState } from '../aggregate/kpi-state.js';
import { formatDay } from '../aggregate/zone.js';
import { OptionsError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { KpiItem } from './kpi-item.js';

/** Options of {@link finalizeKpis}. */
export const finalizeKpisOptionsSchema = z
  .object({
    /**
     * Sets `updated_at` on every item: a valid `Date` (written as ISO 8601)
     * or an ISO 8601 date-time string with its offset, written as it is.
     */
    updatedAt: z
      .union(
        [
          z.date({ error: 'Expected a valid Date' }),
          z.iso.datetime({
            offset: true,
            error: 'Expected an ISO 8601 date-time string such as "2024-07-01T00:00:00Z"',
          }),
        ],
        { error: 'Expected a valid Date or an ISO 8601 date-time string' },
      )
      .optional(),
  })
  .strict();

/** Options of {@link finalizeKpis}. */
export type FinalizeKpisOptions = z.input<typeof finalizeKpisOptionsSchema>;

// 50 significant digits: the quotient has at most 16 integer digits and, with
// totals and counts below 2^53, differs from any half-cent boundary by at
// least 1 / (2 · unique · 1000) ≥ 1e-20, so rounding at 50 digits can never
// move it onto or across the boundary; the half-up rounding is exact.
const Dec = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });

/** `total / unique / 1000` rounded half-up to 2 places, as a string. */
export function averageSeconds(totalMs: number, unique: number): string {
  if (unique === 0) return '0.00';
  return new Dec(totalMs).div(unique).div(1000).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
}

interface TrackTotal {
  id: string;
  name: string;
  count: number;
}

function compareTracks(a: TrackTotal, b: TrackTotal): number {
  return b.count - a.count || compareCodePoints(a.name, b.name) || compareCodePoints(a.id, b.id);
}

function topTracks(state: KpiState, cell: KpiCell): TrackTotal[] {
  const top: TrackTotal[] = [];
  const consider = (t: TrackTotal) => {
    if (top.length === 3 && compareTracks(t, top[2]!) >= 0) return;
    top.push(t);
    top.sort(compareTracks);
    if (top.length > 3) top.pop();
  };
  if (!state.trackNameConflicts) {
    cell.tracks.forEach((t, count) => {
      consider({ id: state.trackIds[t]!, name: state.trackNames[t]!, count });
    });
    return top;
  }
  // Entries of one track id with different names (from merging states built
  // from different songs tables): sum them, keep the smallest name.
  const byId = new Map<string, TrackTotal>();
  cell.tracks.forEach((t, count) => {
    const id = state.trackIds[t]!;
    const name = state.trackNames[t]!;
    const seen = byId.get(id);
    if (seen === undefined) byId.set(id, { id, name, count });
    else {
      seen.count += count;
      if (compareCodePoints(name, seen.name) < 0) seen.name = name;
    }
  });
  for (const t of byId.values()) consider(t);
  return top;
}

function uniqueOf(cell: KpiCell): number {
  if (cell.users instanceof UserIdSet) return cell.users.size;
  // An estimate can never be below 1 or above the number of listens.
  return Math.min(cell.listens, Math.max(1, Math.round(cell.users.estimate())));
}

/**
 * Finalizes `state` into KPI items sorted by (date, genre). A date without listens has no items.
 *
 * @throws OptionsError for invalid options or a `state` that is not a {@link KpiState}.
 */
export function finalizeKpis(state: KpiState, options: FinalizeKpisOptions = {}): KpiItem[] {
  const o = parseOptions(finalizeKpisOptionsSchema, options, 'finalizeKpis');
  if (!(state instanceof KpiState)) {
    throw new OptionsError(
      'finalizeKpis: expected `state` to be a KpiState (from aggregateDailyKpis or a merge)',
    );
  }
  const updatedAt =
    o.updatedAt === undefined
      ? undefined
      : typeof o.updatedAt === 'string'
        ? o.updatedAt
        : o.updatedAt.toISOString();
  const items: KpiItem[] = [];
  const days = [...state.days.keys()].sort((a, b) => a - b);
  for (const day of days) {
    const cells = state.days.get(day)!;
    const present: number[] = [];
    for (let g = 0; g < cells.length; g++) if (cells[g] !== undefined) present.push(g);
    present.sort((a, b) => compareCodePoints(state.genres[a]!, state.genres[b]!));
    const byListens = [...present].sort(
      (a, b) =>
        cells[b]!.listens - cells[a]!.listens ||
        compareCodePoints(state.genres[a]!, state.genres[b]!),
    );
    const top5 = byListens
      .slice(0, 5)
      .map((g) => state.genres[g]!)
      .join(', ');
    const date = formatDay(day);
    for (const g of present) {
      const cell = cells[g]!;
      const unique = uniqueOf(cell);
      const top = topTracks(state, cell).map((t) => ({
        track_id: t.id,
        track_name: t.name === '' ? t.id : t.name,
        listen_count: t.count,
      }));
      const item: KpiItem = {
        date,
        track_genre: state.genres[g]!,
        listen_count: cell.listens,
        unique_listeners: unique,
        total_listening_time: cell.totalMs,
        avg_listening_time_per_user: averageSeconds(cell.totalMs, unique),
        top_3_songs: top.map((t) => t.track_name).join(', '),
        top_songs: top,
        top_5_genres: top5,
        ...(updatedAt === undefined ? {} : { updated_at: updatedAt }),
      };
      items.push(item);
    }
  }
  return items;
}
