/**
 * The reference-table sinks: validated songs / users batches in, a lookup
 * table out. `pipeline(bytes).through(parseFile(o)).through(validateRows(o)).to(buildSongsTable())`.
 */
import type { BatchSink, SongRow, UserRow, ValidBatch } from '../types.js';
import type { SongsTable } from './songs-table.js';
import { SongsTableBuilder } from './songs-table-builder.js';
import { type UsersTable, usersTableFromIds } from './users-table.js';

/**
 * A sink adding songs rows, in file order, to `builder` (shared by the
 * files of one table); resolves to the number of rows added.
 */
export function addSongRows(builder: SongsTableBuilder): BatchSink<ValidBatch<SongRow>, number> {
  return {
    name: 'table',
    open(context) {
      let rows = 0;
      return {
        process(batch) {
          const { track_id, track_name, duration_ms, track_genre } = batch.values;
          for (let r = 0; r < batch.length; r++) {
            builder.addSong(track_id[r]!, track_name[r]!, duration_ms[r]!, track_genre[r]!);
          }
          rows += batch.length;
          context.metrics?.addAggregated(batch.source, batch.length);
        },
        finish: () => rows,
      };
    },
  };
}

/** A sink building a {@link SongsTable} from one file's songs rows. */
export function buildSongsTable(): BatchSink<ValidBatch<SongRow>, SongsTable> {
  return {
    name: 'table',
    open(context) {
      const builder = new SongsTableBuilder();
      const step = addSongRows(builder).open(context);
      return { process: step.process, finish: () => builder.finish() };
    },
  };
}

/** A sink appending user ids to `ids` (shared by the files of one table); resolves to the count added. */
export function addUserIds(ids: number[]): BatchSink<ValidBatch<UserRow>, number> {
  return {
    name: 'table',
    open(context) {
      let rows = 0;
      return {
        process(batch) {
          for (const id of batch.values.user_id) ids.push(id);
          rows += batch.length;
          context.metrics?.addAggregated(batch.source, batch.length);
        },
        finish: () => rows,
      };
    },
  };
}

/** A sink building a {@link UsersTable} from one file's users rows. */
export function buildUsersTable(): BatchSink<ValidBatch<UserRow>, UsersTable> {
  return {
    name: 'table',
    open(context) {
      const ids: number[] = [];
      const step = addUserIds(ids).open(context);
      return { process: step.process, finish: () => usersTableFromIds(ids) };
    },
  };
}
