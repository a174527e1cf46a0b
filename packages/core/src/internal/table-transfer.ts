/**
 * Lookup tables as plain structured-clone data, so a table built once on the
 * main thread reaches worker threads without re-reading the files.
 */
import { SongsTable } from '../songs-table.js';
import { type UsersTable, usersTableFromIds } from '../users-table.js';
import type { StringIndexParts } from './string-index.js';

/** A {@link SongsTable} as structured-clone data. */
export interface SongsTableData {
  readonly genres: readonly string[];
  readonly trackIds: readonly string[];
  readonly pairStart: Int32Array;
  readonly pairGenre: Int32Array;
  readonly pairDuration: Float64Array;
  readonly pairName: readonly string[];
  readonly rows: number;
  readonly duplicatePairs: number;
  /** The `track_id` index (on shared memory, like the pair arrays of a built table). */
  readonly index: StringIndexParts;
}

/** The data of a songs table. */
export function songsTableData(table: SongsTable): SongsTableData {
  return {
    genres: table.genres,
    trackIds: table.trackIds,
    pairStart: table.pairStart,
    pairGenre: table.pairGenre,
    pairDuration: table.pairDuration,
    pairName: table.pairName,
    rows: table.stats.rows,
    duplicatePairs: table.stats.duplicatePairs,
    index: table.indexParts,
  };
}

/** Rebuilds a songs table from {@link songsTableData}. */
export function songsTableFromData(data: SongsTableData): SongsTable {
  return new SongsTable({
    // Fresh arrays from the structured clone: taken as they are.
    genres: data.genres as string[],
    trackIds: data.trackIds as string[],
    pairStart: data.pairStart,
    pairGenre: data.pairGenre,
    pairDuration: data.pairDuration,
    pairName: data.pairName as string[],
    rows: data.rows,
    duplicatePairs: data.duplicatePairs,
    index: data.index,
  });
}

/** Rebuilds a users table from its ids. */
export function usersTableFromData(ids: Float64Array): UsersTable {
  return usersTableFromIds(ids);
}
