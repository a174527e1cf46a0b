/** One entry of `top_songs`; `N` as in {@link KpiItem}. */
export interface TopSong<N extends number | string = number> {
  readonly track_id: string;
  /** The track's name, or its id when the name is empty. */
  readonly track_name: string;
  readonly listen_count: N;
}

/**
 * One KPI item (SPEC section 4): a date × genre, as `finalizeKpis` produces
 * it and the DynamoDB writer takes it. `N` is how the integers are held:
 * numbers out of `finalizeKpis` (the default), exact decimal strings after
 * the `toDecimal` stage (`KpiItem<string>`), either for the writer
 * (`KpiItem<number | string>`). The average is always a decimal string, so
 * no value passes through a binary float.
 */
export interface KpiItem<N extends number | string = number> {
  /** `YYYY-MM-DD` in the configured time zone (partition key). */
  readonly date: string;
  /** Genre (sort key). */
  readonly track_genre: string;
  readonly listen_count: N;
  readonly unique_listeners: N;
  /** Milliseconds. */
  readonly total_listening_time: N;
  /** Seconds, exact decimal string with 2 decimal places, e.g. `"183.42"`. */
  readonly avg_listening_time_per_user: string;
  /** Names of the top three tracks joined with `", "`. */
  readonly top_3_songs: string;
  readonly top_songs: readonly TopSong<N>[];
  /** The date's top five genres joined with `", "`. */
  readonly top_5_genres: string;
  /** ISO time, when `updatedAt` was given. */
  readonly updated_at?: string;
}
