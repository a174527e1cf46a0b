/**
 * A cheap, thread-local transfer form of a {@link KpiState}: a worker and the
 * main thread hold the same songs table contents, so track entries travel as
 * numbers into that table's dictionary and the hash tables of the cells move
 * as they are (typed arrays in a transfer list: no strings, no sorting, no
 * rehash). Not a durable format — `serializeKpiState` is.
 */

import { HyperLogLog } from '../../aggregate/hll.js';
import { CountMap } from '../../aggregate/internal/kpi-count-map.js';
import { UserIdSet } from '../../aggregate/internal/kpi-user-set.js';
import { KpiCell, KpiState } from '../../aggregate/kpi-state.js';
import { PipelineError } from '../../errors.js';
import type { TrackDictionary } from '../../join/songs-table.js';

/** Per cell in {@link KpiStateTransfer.cells}: day, genre, listens, total ms, users size, tracks size. */
const CELL_FIELDS = 6;

/** A {@link KpiState} as structured-clone data whose typed arrays may be moved. */
export interface KpiStateTransfer {
  readonly mode: 'exact' | 'hll';
  readonly hllPrecision: number;
  readonly genres: readonly string[];
  /**
   * Leading track entries that are the songs dictionary's (its entry count,
   * checked on arrival), or 0 when the state is not bound to one.
   */
  readonly dictionaryEntries: number;
  /** Track entries after those, as strings. */
  readonly extraTrackIds: readonly string[];
  readonly extraTrackNames: readonly string[];
  readonly trackNameConflicts: boolean;
  /** {@link CELL_FIELDS} numbers per cell. */
  readonly cells: Float64Array;
  /** Per cell: the users' hash table or bitmaps (exact) or HyperLogLog registers. */
  readonly users: readonly (Uint32Array | Float64Array | Uint8Array)[];
  /** Per cell: the block numbers of bitmap users (exact), else null. */
  readonly userBlocks: readonly (Float64Array | null)[];
  /** Per cell: the track counts' hash table. */
  readonly tracks: readonly (Uint32Array | Float64Array)[];
}

/** A typed array that owns its whole buffer (so moving it moves nothing else). */
function own<T extends Uint32Array | Float64Array | Uint8Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

/**
 * The transfer form of `state` and the buffers to move with it. After the
 * move, `state` must not be used (its cells' tables are detached).
 */
export function kpiStateToTransfer(
  state: KpiState,
  dictionary: TrackDictionary | undefined,
): { readonly value: KpiStateTransfer; readonly transferList: ArrayBuffer[] } {
  const bound = dictionary !== undefined && state.trackOrigin === dictionary;
  const from = bound ? dictionary.size : 0;
  let count = 0;
  for (const cells of state.days.values()) {
    for (const cell of cells) if (cell !== undefined) count++;
  }
  const meta = new Float64Array(count * CELL_FIELDS);
  const users: (Uint32Array | Float64Array | Uint8Array)[] = [];
  const userBlocks: (Float64Array | null)[] = [];
  const tracks: (Uint32Array | Float64Array)[] = [];
  const transferList: ArrayBuffer[] = [meta.buffer];
  const seen = new Set<ArrayBufferLike>([meta.buffer]);
  const move = <T extends Uint32Array | Float64Array | Uint8Array>(a: T): T => {
    let out = own(a);
    // Cells shared between states (copy-on-write) may share a table: move it once.
    if (seen.has(out.buffer)) out = out.slice() as T;
    seen.add(out.buffer);
    transferList.push(out.buffer as ArrayBuffer);
    return out;
  };
  let i = 0;
  for (const [day, cells] of state.days) {
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      const u = cell.users;
      meta[i++] = day;
      meta[i++] = g;
      meta[i++] = cell.listens;
      meta[i++] = cell.totalMs;
      meta[i++] = u instanceof UserIdSet ? u.size : 0;
      meta[i++] = cell.tracks.size;
      if (u instanceof UserIdSet) {
        const set = u.toTransfer();
        users.push(move(set.table));
        userBlocks.push(set.blocks === undefined ? null : move(set.blocks));
      } else {
        users.push(move(u.registers));
        userBlocks.push(null);
      }
      tracks.push(move(cell.tracks.table));
    }
  }
  return {
    value: {
      mode: state.mode,
      hllPrecision: state.hllPrecision,
      genres: state.genres.slice(),
      dictionaryEntries: from,
      // A bound state without extra entries never fetches the dictionary's strings.
      extraTrackIds: state.trackCount > from ? state.trackIds.slice(from) : [],
      extraTrackNames: state.trackCount > from ? state.trackNames.slice(from) : [],
      trackNameConflicts: state.trackNameConflicts,
      cells: meta,
      users,
      userBlocks,
      tracks,
    },
    transferList,
  };
}

/**
 * Rebuilds a state from {@link kpiStateToTransfer} data, bound to
 * `dictionary` (this thread's songs table): it merges with other states of
 * that table without string work.
 *
 * @throws PipelineError `POOL_TABLE_MISMATCH` when the sender's songs table
 *   had a different number of track entries.
 */
export function kpiStateFromTransfer(
  data: KpiStateTransfer,
  dictionary: TrackDictionary,
): KpiState {
  const state = new KpiState(data.mode, data.hllPrecision);
  if (data.dictionaryEntries > 0) {
    if (data.dictionaryEntries !== dictionary.size) {
      throw new PipelineError(
        'POOL_TABLE_MISMATCH',
        `A worker's songs table has ${data.dictionaryEntries} track entries, this thread's ${dictionary.size}`,
      );
    }
    state.adoptTracks(dictionary);
  }
  for (let t = 0; t < data.extraTrackIds.length; t++) {
    state.internTrack(data.extraTrackIds[t]!, data.extraTrackNames[t]!);
  }
  if (data.trackNameConflicts) state.trackNameConflicts = true;
  for (const genre of data.genres) state.internGenre(genre);
  const meta = data.cells;
  for (let c = 0, i = 0; i < meta.length; c++, i += CELL_FIELDS) {
    const table = data.users[c]!;
    const users =
      data.mode === 'hll'
        ? new HyperLogLog(data.hllPrecision, table as Uint8Array)
        : UserIdSet.fromTransfer({
            table: table as Uint32Array | Float64Array,
            size: meta[i + 4]!,
            ...(data.userBlocks[c] ? { blocks: data.userBlocks[c]! } : {}),
          });
    const cell = new KpiCell(users, CountMap.fromTable(data.tracks[c]!, meta[i + 5]!), state);
    cell.listens = meta[i + 2]!;
    cell.totalMs = meta[i + 3]!;
    state.dayCells(meta[i]!)[meta[i + 1]!] = cell;
  }
  return state;
}
