/**
 * The join stage (SPEC sections 3 and 4): validated stream rows → joined
 * listens. A row whose `track_id` is not in the songs table goes to the dead
 * letter with reason `unknown_track`; a row whose `user_id` is not in the
 * users table is kept and counted.
 */
import { z } from 'zod';
import { parseKpiOptions } from '../aggregate/internal/kpi-options.js';
import type { DeadLetterEntry, DeadLetterSink } from '../dead-letter/dead-letter.js';
import type { Batch, SourceRef, StageContext, StreamRow, ValidRow } from '../types.js';
import { flatFields } from './internal/flat-string.js';
import { SongsTable } from './songs-table.js';
import { UsersTable } from './users-table.js';

/** The dead-letter entry of a valid listen whose track is not in the songs table. @internal */
export function unknownTrackEntry(source: SourceRef, line: number, v: StreamRow): DeadLetterEntry {
  return {
    source,
    line,
    raw: flatFields({
      user_id: String(v.user_id),
      track_id: v.track_id,
      listen_time: v.listen_time,
    }),
    reasons: [
      {
        reason: 'unknown_track',
        field: 'track_id',
        message: `track_id ${JSON.stringify(v.track_id)} is not in the songs table`,
      },
    ],
  };
}

/** A stream row joined with the songs table. */
export interface JoinedListen {
  readonly source: SourceRef;
  readonly line: number;
  readonly userId: number;
  /** `listen_time` as in the file (validated). */
  readonly listenTime: string;
  /** The table the track was found in. */
  readonly songs: SongsTable;
  /** Interned track number in {@link songs} (its genres: `songs.pairStart[track]..[track+1]`). */
  readonly track: number;
}

/** Counters a {@link joinSongs} stage adds to (for the run summary). */
export interface JoinMetrics {
  /** Rows passed on. */
  joined: number;
  /** Rows dead-lettered as `unknown_track`. */
  unknownTracks: number;
  /** Rows passed on whose user is not in the users table. */
  unknownUsers: number;
}

/** Creates zeroed {@link JoinMetrics}. */
export function createJoinMetrics(): JoinMetrics {
  return { joined: 0, unknownTracks: 0, unknownUsers: 0 };
}

const isSink = (v: unknown): v is DeadLetterSink =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as DeadLetterSink).write === 'function' &&
  typeof (v as DeadLetterSink).close === 'function';

/** Options of {@link joinSongs}. */
export const JoinSongsOptionsSchema = z.object({
  /** The songs lookup table (required). */
  songs: z.custom<SongsTable>((v) => v instanceof SongsTable, {
    message: 'Expected `songs` to be a SongsTable (see buildSongsTable)',
  }),
  /** The users table; when omitted no user is counted as unknown. */
  users: z
    .custom<UsersTable>((v) => v instanceof UsersTable, {
      message: 'Expected `users` to be a UsersTable (see buildUsersTable)',
    })
    .optional(),
  /** Where `unknown_track` rows go (required). */
  deadLetter: z.custom<DeadLetterSink>(isSink, {
    message: 'Expected `deadLetter` to be a DeadLetterSink with write() and close()',
  }),
  /** Counters to add to; defaults to a private object. */
  metrics: z
    .custom<JoinMetrics>(
      (v) => typeof v === 'object' && v !== null && typeof (v as JoinMetrics).joined === 'number',
      { message: 'Expected `metrics` to be a JoinMetrics object (see createJoinMetrics)' },
    )
    .optional(),
});

/** Options of {@link joinSongs}. */
export type JoinSongsOptions = z.input<typeof JoinSongsOptionsSchema>;

/**
 * Creates the join stage. Each input batch yields one output batch (possibly
 * empty) after its `unknown_track` rows were written to the dead letter.
 *
 * @throws OptionsError for invalid options, before any I/O.
 */
export function joinSongs(
  options: JoinSongsOptions,
): (
  source: AsyncIterable<Batch<ValidRow<StreamRow>>>,
  context?: StageContext,
) => AsyncGenerator<Batch<JoinedListen>> {
  const {
    songs,
    users,
    deadLetter,
    metrics: given,
  } = parseKpiOptions('joinSongs', JoinSongsOptionsSchema, options);
  const metrics = given ?? createJoinMetrics();
  return async function* join(source, context) {
    const signal = context?.signal;
    for await (const batch of source) {
      signal?.throwIfAborted();
      const out: JoinedListen[] = [];
      let rejected: DeadLetterEntry[] | undefined;
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i]!;
        const v = row.value;
        const track = songs.trackOf(v.track_id);
        if (track < 0) {
          rejected ??= [];
          rejected.push(unknownTrackEntry(row.source, row.line, v));
          continue;
        }
        if (users !== undefined && !users.has(v.user_id)) metrics.unknownUsers++;
        out.push({
          source: row.source,
          line: row.line,
          userId: v.user_id,
          listenTime: v.listen_time,
          songs,
          track,
        });
      }
      if (rejected !== undefined) {
        await deadLetter.write(rejected);
        metrics.unknownTracks += rejected.length;
      }
      metrics.joined += out.length;
      yield out;
    }
  };
}
