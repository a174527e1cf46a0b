/**
 * The merge algebra of KPI states: merge (associative, commutative, inputs
 * untouched), merge in place, the dates of a state, a state of some dates,
 * and size statistics.
 */
import { PipelineError } from '../errors.js';
import type { HyperLogLog as Hll } from './hll.js';
import { CountMap } from './internal/kpi-count-map.js';
import { UserIdSet } from './internal/kpi-user-set.js';
import { KpiCell, KpiState } from './kpi-state.js';
import { formatDay, parseDay } from './zone.js';

export function checkCompatible(a: KpiState, b: KpiState): void {
  if (a.mode !== b.mode || (a.mode === 'hll' && a.hllPrecision !== b.hllPrecision)) {
    throw new PipelineError(
      'KPI_STATE_MODE_MISMATCH',
      `Cannot merge KPI states counted differently: ${describeMode(a)} and ${describeMode(b)}`,
    );
  }
}

function describeMode(s: KpiState): string {
  return s.mode === 'hll' ? `hll (precision ${s.hllPrecision})` : 'exact';
}

/**
 * Adds the track counts of `from` (tracks of `src`) to `into` (tracks of
 * `out`), interning each track in `out` the first time `trackMap` misses it.
 */
function addTracks(
  into: CountMap,
  from: CountMap,
  src: KpiState,
  out: KpiState,
  trackMap: Int32Array,
): void {
  from.forEach((t, count) => {
    let ot = trackMap[t]!;
    if (ot < 0) {
      ot = out.internTrack(src.trackIds[t]!, src.trackNames[t]!);
      trackMap[t] = ot;
    }
    into.add(ot, count);
  });
}

function foldInto(out: KpiState, src: KpiState): void {
  const genreMap = src.genres.map((g) => out.internGenre(g));
  const trackMap = new Int32Array(src.trackCount).fill(-1);
  const same = out.sharedPrefix(src);
  for (let t = 0; t < same; t++) trackMap[t] = t;
  for (const [day, cells] of src.days) {
    const outCells = out.dayCells(day);
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      const og = genreMap[g]!;
      let target = outCells[og];
      if (target === undefined) {
        target = out.newCell();
        outCells[og] = target;
      } else if (target.owner !== out) {
        target = out.ownCell(outCells, og);
      }
      target.listens += cell.listens;
      target.totalMs += cell.totalMs;
      if (target.users instanceof UserIdSet) {
        target.users.addAll(cell.users as UserIdSet);
      } else {
        target.users.merge(cell.users as Hll);
      }
      addTracks(target.tracks, cell.tracks, src, out, trackMap);
    }
  }
}

/** A cheap size estimate of a state (users + track entries over its cells). */
function stateWeight(state: KpiState): number {
  let w = 0;
  for (const cells of state.days.values()) {
    for (const cell of cells) if (cell !== undefined) w += cell.listens;
  }
  return w;
}

/**
 * Merges KPI states into a new one; inputs are not modified. Associative and
 * commutative: any grouping or order of the same partials finalizes (and
 * serializes) identically.
 *
 * @throws PipelineError `KPI_STATE_MODE_MISMATCH` when the states count unique listeners differently.
 */
export function mergeKpiStates(first: KpiState, ...rest: KpiState[]): KpiState {
  const out = new KpiState(first.mode, first.hllPrecision);
  for (const s of rest) checkCompatible(first, s);
  // Fold the rest into a copy-on-write copy of the largest input: only the
  // cells the others touch are copied (keeps sequential merges cheap).
  let largest = first;
  let largestSize = stateWeight(first);
  for (const s of rest) {
    const w = stateWeight(s);
    if (w > largestSize) {
      largest = s;
      largestSize = w;
    }
  }
  out.copyFrom(largest);
  if (largest !== first) foldInto(out, first);
  for (const s of rest) if (s !== largest) foldInto(out, s);
  return out;
}

/**
 * Folds `source` into `target` in place, for a caller that owns `target`
 * (an accumulator no one else reads): cheaper than {@link mergeKpiStates}
 * when partials arrive one by one, with the same result. Cells and track
 * arrays `target` shares with other states are copied before they change,
 * so other states are never modified.
 *
 * @throws PipelineError `KPI_STATE_MODE_MISMATCH` when the states count unique listeners differently.
 */
export function mergeKpiStateInto(target: KpiState, source: KpiState): void {
  checkCompatible(target, source);
  foldInto(target, source);
}

/** The dates (`YYYY-MM-DD`, ascending) that have at least one listen in `state`. */
export function kpiStateDates(state: KpiState): string[] {
  return [...state.days.keys()].sort((a, b) => a - b).map(formatDay);
}

/**
 * A new state holding only `dates` of `state` (dates absent from it are
 * ignored). Used to store one partial per (source object, date).
 *
 * @throws PipelineError `KPI_STATE_BAD_DATE` for a string that is not `YYYY-MM-DD`.
 */
export function pickKpiDates(state: KpiState, dates: Iterable<string>): KpiState {
  const out = new KpiState(state.mode, state.hllPrecision);
  const wanted = new Set<number>();
  for (const d of dates) {
    const day = parseDay(d);
    if (day === undefined) {
      throw new PipelineError(
        'KPI_STATE_BAD_DATE',
        `Expected a YYYY-MM-DD date, got ${JSON.stringify(d)}`,
      );
    }
    wanted.add(day);
  }
  // Re-intern so the new state's dictionaries hold only what it uses.
  const genreMap = new Int32Array(state.genres.length).fill(-1);
  const trackMap = new Int32Array(state.trackCount).fill(-1);
  for (const day of [...wanted].sort((a, b) => a - b)) {
    const cells = state.days.get(day);
    if (cells === undefined) continue;
    const outCells = out.dayCells(day);
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      let og = genreMap[g]!;
      if (og < 0) {
        og = out.internGenre(state.genres[g]!);
        genreMap[g] = og;
      }
      const tracks = new CountMap(cell.tracks.size);
      addTracks(tracks, cell.tracks, state, out, trackMap);
      const copy = new KpiCell(cell.users, tracks);
      copy.listens = cell.listens;
      copy.totalMs = cell.totalMs;
      outCells[og] = copy;
    }
  }
  return out;
}

/** Sizes of a state, for the run summary and the benchmark. */
export interface KpiStateStats {
  readonly dates: number;
  /** Date × genre keys. */
  readonly keys: number;
  readonly tracks: number;
  /** Approximate heap bytes of the typed arrays holding users and track counts. */
  readonly approxBytes: number;
}

/** Sizes of `state`. */
export function kpiStateStats(state: KpiState): KpiStateStats {
  let keys = 0;
  let bytes = 0;
  for (const cells of state.days.values()) {
    for (const cell of cells) {
      if (cell === undefined) continue;
      keys++;
      bytes += 64 + cell.tracks.byteLength;
      bytes +=
        cell.users instanceof UserIdSet ? cell.users.byteLength : cell.users.registers.byteLength;
    }
  }
  return { dates: state.days.size, keys, tracks: state.trackCount, approxBytes: bytes };
}
