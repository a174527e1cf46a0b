/**
 * Lookup tables as plain structured-clone data, so a table built once on the
 * main thread reaches worker threads without re-reading the files. A songs
 * table travels as shared memory (its arrays, its `track_id` index, its
 * strings as UTF-16 code units, its track dictionary): every thread reads
 * the same bytes, and a thread decodes the strings only if it needs them.
 */

import { sharedCopy } from '../../internal/shared-memory.js';
import type { StringIndexParts } from '../../join/internal/string-index.js';
import {
  type SharedSongStrings,
  SongsTable,
  type SongsTableStats,
  type TrackDictionaryParts,
} from '../../join/songs-table.js';
import { type UsersTable, usersTableFromIds } from '../../join/users-table.js';

/** A {@link SongsTable} as structured-clone data (shared memory but `genres`). */
export interface SongsTableData {
  readonly genres: readonly string[];
  readonly strings: SharedSongStrings;
  readonly pairStart: Int32Array;
  readonly pairGenre: Int32Array;
  readonly pairDuration: Float64Array;
  readonly index: StringIndexParts;
  readonly dictionary: TrackDictionaryParts;
  readonly stats: SongsTableStats;
}

/** The data of a songs table. */
export function songsTableData(table: SongsTable): SongsTableData {
  return {
    genres: table.genres,
    strings: table.sharedStrings(),
    pairStart: table.pairStart,
    pairGenre: table.pairGenre,
    pairDuration: table.pairDuration,
    index: table.indexParts,
    dictionary: table.trackDictionary().parts,
    stats: table.stats,
  };
}

/** Rebuilds a songs table from {@link songsTableData}, over the same shared memory. */
export function songsTableFromData(data: SongsTableData): SongsTable {
  return new SongsTable({
    genres: [...data.genres],
    strings: data.strings,
    pairStart: data.pairStart,
    pairGenre: data.pairGenre,
    pairDuration: data.pairDuration,
    rows: data.stats.rows,
    duplicatePairs: data.stats.duplicatePairs,
    index: data.index,
    dictionary: data.dictionary,
    stats: data.stats,
  });
}

/** Rebuilds a users table from its ids. */
export function usersTableFromData(ids: Float64Array): UsersTable {
  return usersTableFromIds(ids);
}

/** A users table's ids on shared memory: every task can carry them without a copy. */
export function sharedUserIds(table: UsersTable): Float64Array {
  return sharedCopy(table.ids());
}
