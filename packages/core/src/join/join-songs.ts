/**
 * The join stage (SPEC sections 3 and 4): validated stream rows → joined
 * listens. A row whose `track_id` is not in the songs table goes to the dead
 * letter with reason `unknown_track`; a row whose `user_id` is not in the
 * users table is kept and counted.
 */
import { z } from 'zod';
import { type DeadLetterEntry, deadLetterSinkSchema } from '../dead-letter/dead-letter.js';
import { column, cutColumns } from '../internal/column.js';
import { flatFields } from '../internal/flat-string.js';
import { parseOptions } from '../internal/options.js';
import { RunMetrics } from '../metrics.js';
import type { BatchStage, SourceRef, StreamBatch, StreamRow } from '../types.js';
import { SongsTable } from './songs-table.js';
import { UsersTable } from './users-table.js';

/** The dead-letter entry of a valid listen whose track is not in the songs table. */
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

/**
 * Validated stream rows joined with the songs table: the {@link StreamBatch}
 * columns of the rows whose track is known, and each row's track number.
 */
export interface JoinedBatch extends StreamBatch {
  /** Interned track number per row in {@link songs} (its genres: `songs.pairStart[track]..[track+1]`). */
  readonly tracks: number[];
  /** The table the tracks were found in. */
  readonly songs: SongsTable;
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

/** Options of {@link joinSongs}. */
export const joinSongsOptionsSchema = z.object({
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
  deadLetter: deadLetterSinkSchema,
  /** Run counters (rejected rows); default the pipeline's. */
  runMetrics: z.instanceof(RunMetrics).optional(),
  /** Join counters to add to; defaults to a private object. */
  metrics: z
    .custom<JoinMetrics>(
      (v) => typeof v === 'object' && v !== null && typeof (v as JoinMetrics).joined === 'number',
      { message: 'Expected `metrics` to be a JoinMetrics object (see createJoinMetrics)' },
    )
    .optional(),
});

/** Options of {@link joinSongs}. */
export type JoinSongsOptions = z.input<typeof joinSongsOptionsSchema>;

/**
 * Creates the join stage. Each input batch yields one output batch (possibly
 * empty); its `unknown_track` rows are written to the dead letter before the
 * next batch (and counted as rejected in the run counters).
 *
 * @throws OptionsError for invalid options, before any I/O.
 */
export function joinSongs(options: JoinSongsOptions): BatchStage<StreamBatch, JoinedBatch> {
  const {
    songs,
    users,
    deadLetter,
    runMetrics,
    metrics: given,
  } = parseOptions(joinSongsOptionsSchema, options, 'joinSongs');
  const metrics = given ?? createJoinMetrics();
  return {
    name: 'join',
    open(context) {
      const counters = runMetrics ?? context.metrics;
      let pending: DeadLetterEntry[] = [];
      return {
        process(batch) {
          const { source, lines, listenAt, listenZoned } = batch;
          const { user_id: userIds, track_id: trackIds, listen_time: times } = batch.values;
          const n = batch.length;
          const tracks = column<number>(n);
          songs.tracksOf(trackIds, n, tracks);
          let w = 0;
          for (let r = 0; r < n; r++) {
            const track = tracks[r]!;
            const userId = userIds[r]!;
            if (track < 0) {
              const row = { user_id: userId, track_id: trackIds[r]!, listen_time: times[r]! };
              pending.push(unknownTrackEntry(source, lines[r]!, row));
              counters?.addRejected(source, 'unknown_track');
              continue;
            }
            if (users !== undefined && !users.has(userId)) metrics.unknownUsers++;
            if (w !== r) {
              // Rows of unknown tracks leave a gap: close it in place.
              userIds[w] = userId;
              trackIds[w] = trackIds[r]!;
              times[w] = times[r]!;
              listenAt[w] = listenAt[r]!;
              listenZoned[w] = listenZoned[r]!;
              lines[w] = lines[r]!;
            }
            tracks[w++] = track;
          }
          if (w < n) {
            cutColumns(w, userIds, trackIds, times, listenAt, listenZoned, lines, tracks);
            metrics.unknownTracks += n - w;
          }
          metrics.joined += w;
          return { ...batch, length: w, tracks, songs };
        },
        flush() {
          if (pending.length === 0) return undefined;
          const entries = pending;
          pending = [];
          return deadLetter.write(entries);
        },
      };
    },
  };
}
