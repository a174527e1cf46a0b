/** The track entries of a songs table in the numbering KPI states use. */
import type { SongsTable } from './songs-table.js';

/**
 * The dictionary's entries as the KPI state format encodes them, in
 * canonical order (see `kpi-encoded-dictionary.ts`), on shared memory:
 * built once per table, then read by every thread and kept with the
 * table's bytes.
 */
export interface EncodedDictionaryParts {
  /** Entry numbers in canonical order. */
  readonly order: Int32Array;
  /** Entry `order[i]` is encoded as `bytes[start[i]..start[i + 1])`. */
  readonly start: Int32Array;
  readonly bytes: Uint8Array;
}

/** The arrays of a {@link TrackDictionary} (shared memory). */
export interface TrackDictionaryParts {
  readonly size: number;
  readonly pairEntry: Int32Array;
  readonly entryTrack: Int32Array;
  readonly entryPair: Int32Array;
  readonly conflicts: boolean;
  /** The encoded entries, when another thread (or the table's bytes) has them already. */
  readonly encoded?: EncodedDictionaryParts;
}

/**
 * Track entries of a {@link SongsTable} in KPI-state form: entry `e` is
 * (`trackIds[e]`, `trackNames[e]`), entries of one id are consecutive and
 * chained by `trackNext`; pair `p` of the table is entry `pairEntry[p]`.
 * The string arrays are made on first use (a worker thread that only folds
 * rows never needs them). Shared and never modified.
 */
export class TrackDictionary {
  /** Number of entries. */
  readonly size: number;
  /** Entry of each pair of the table. */
  readonly pairEntry: Int32Array;
  /** Track number of each entry… */
  readonly entryTrack: Int32Array;
  /** …and the pair its name comes from. */
  readonly entryPair: Int32Array;
  /** Some id has entries with different names. */
  readonly conflicts: boolean;
  /** The encoded entries once built or received (set once). @internal */
  encoded: EncodedDictionaryParts | undefined;
  #ids: string[] | undefined;
  #names: string[] | undefined;
  #next: number[] | undefined;

  constructor(
    private readonly table: SongsTable,
    parts: TrackDictionaryParts,
  ) {
    this.size = parts.size;
    this.pairEntry = parts.pairEntry;
    this.entryTrack = parts.entryTrack;
    this.entryPair = parts.entryPair;
    this.conflicts = parts.conflicts;
    this.encoded = parts.encoded;
  }

  /** The arrays, e.g. to send to another thread. */
  get parts(): TrackDictionaryParts {
    const { size, pairEntry, entryTrack, entryPair, conflicts, encoded } = this;
    return { size, pairEntry, entryTrack, entryPair, conflicts, ...(encoded ? { encoded } : {}) };
  }

  get trackIds(): readonly string[] {
    if (this.#ids === undefined) {
      const ids = this.table.trackIds;
      this.#ids = Array.from(this.entryTrack, (t) => ids[t]!);
    }
    return this.#ids;
  }

  get trackNames(): readonly string[] {
    if (this.#names === undefined) {
      const names = this.table.pairName;
      this.#names = Array.from(this.entryPair, (p) => names[p]!);
    }
    return this.#names;
  }

  get trackNext(): readonly number[] {
    if (this.#next === undefined) {
      const track = this.entryTrack;
      this.#next = Array.from(track, (t, e) =>
        e + 1 < track.length && track[e + 1] === t ? e + 1 : -1,
      );
    }
    return this.#next;
  }
}
