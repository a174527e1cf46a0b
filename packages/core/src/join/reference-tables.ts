/**
 * The reference-table sinks: validated songs / users batches in, a lookup
 * table out. `pipeline(bytes).through(parseFile(o)).through(validateRows(o)).to(buildSongsTable())`.
 */
import type { BatchSink, SongRow, UserRow, ValidBatch } from '../types.js';
import type { SongsTable } from './songs-table.js';
import { SongsTableBuilder } from './songs-table-builder.js';
import { type UsersTable, usersTableFromIds } from './users-table.js';

/**
 * A sink handing each batch to `add` and counting its rows as aggregated
 * (a row in a table is accounted for like an aggregated stream row);
 * resolves to the number of rows added.
 */
function addRows<T>(add: (batch: ValidBatch<T>) => void): BatchSink<ValidBatch<T>, number> {
  return {
    name: 'table',
    open(context) {
      let rows = 0;
      return {
        process(batch) {
          add(batch);
          rows += batch.length;
          context.metrics?.addAggregated(batch.source, batch.length);
        },
        finish: () => rows,
      };
    },
  };
}

/**
 * A sink that, on each open, makes a fresh table under construction and
 * its row sink, and resolves to the finished table.
 */
function tableSink<T, R>(
  start: () => { readonly rows: BatchSink<ValidBatch<T>, number>; readonly finish: () => R },
): BatchSink<ValidBatch<T>, R> {
  return {
    name: 'table',
    open(context) {
      const table = start();
      return { process: table.rows.open(context).process, finish: table.finish };
    },
  };
}

/**
 * A sink adding songs rows, in file order, to `builder` (shared by the
 * files of one table); resolves to the number of rows added.
 */
export function addSongRows(builder: SongsTableBuilder): BatchSink<ValidBatch<SongRow>, number> {
  return addRows<SongRow>((batch) => {
    const { track_id, track_name, duration_ms, track_genre } = batch.values;
    for (let r = 0; r < batch.length; r++) {
      builder.addSong(track_id[r]!, track_name[r]!, duration_ms[r]!, track_genre[r]!);
    }
  });
}

/** A sink building a {@link SongsTable} from one file's songs rows. */
export function buildSongsTable(): BatchSink<ValidBatch<SongRow>, SongsTable> {
  return tableSink(() => {
    const builder = new SongsTableBuilder();
    return { rows: addSongRows(builder), finish: () => builder.finish() };
  });
}

/** A sink appending user ids to `ids` (shared by the files of one table); resolves to the count added. */
export function addUserIds(ids: number[]): BatchSink<ValidBatch<UserRow>, number> {
  return addRows<UserRow>((batch) => {
    for (const id of batch.values.user_id) ids.push(id);
  });
}

/** A sink building a {@link UsersTable} from one file's users rows. */
export function buildUsersTable(): BatchSink<ValidBatch<UserRow>, UsersTable> {
  return tableSink(() => {
    const ids: number[] = [];
    return { rows: addUserIds(ids), finish: () => usersTableFromIds(ids) };
  });
}
