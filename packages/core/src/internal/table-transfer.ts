/**
 * Lookup tables as plain structured-clone data, so a table built once on the
 * main thread reaches worker threads without re-reading the files.
 */
import { SongsTable } from '../songs-table.js';
import { type UsersTable, usersTableFromIds } from '../users-table.js';

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
  };
}

/** Rebuilds a songs table from {@link songsTableData}. */
export function songsTableFromData(data: SongsTableData): SongsTable {
  return new SongsTable({
    genres: [...data.genres],
    trackIds: [...data.trackIds],
    pairStart: data.pairStart,
    pairGenre: data.pairGenre,
    pairDuration: data.pairDuration,
    pairName: [...data.pairName],
    rows: data.rows,
    duplicatePairs: data.duplicatePairs,
  });
}

/** Rebuilds a users table from its ids. */
export function usersTableFromData(ids: Float64Array): UsersTable {
  return usersTableFromIds(ids);
}
