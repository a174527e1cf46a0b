/**
 * What the aggregator has read but not yet put into the cells, for the few
 * dates a stream file's rows fall on, laid out so that a row touches little
 * memory that is not already in cache:
 *
 * - listens per (date, track number of the songs table), dense: counting a
 *   listen is one increment in an array of a few hundred KB instead of a
 *   hash-map update in each cell of the track's genres;
 * - listener ids per (date, genre of the songs table), appended to a short
 *   buffer: the ids reach a cell's user set a buffer at a time, while its
 *   memory is in cache, instead of one random access per row into hundreds
 *   of sets.
 *
 * The aggregator moves both into the cells ({@link DayTrackCounts.drain})
 * before it hands its state on, and whenever a date needs a slot and none is
 * free.
 */
import type { KpiCell } from '../kpi-state.js';

/**
 * A count is moved to the cells before it reaches this (it stays a small
 * integer, and an `Int32Array` holds it).
 */
export const MAX_TRACK_COUNT = 0x3fffffff;

/**
 * A track's count in {@link DaySlot.counts} never exceeds this: one byte a
 * track keeps the counts of a date in cache; past it, it moves to
 * {@link DaySlot.more}.
 */
export const FULL_COUNT = 255;

/** Track numbers × slots held at most (4 MB of counts), unless one slot is more. */
const MAX_SLOT_ENTRIES = 4_194_304;
/** Dates counted at once, at most. */
const MAX_SLOTS = 8;
/** Buffered listener ids per slot, at most (1 MB)… */
const MAX_SLOT_USERS = 131_072;
/** …and per genre, at least and at most. */
const MIN_GENRE_USERS = 16;
const MAX_GENRE_USERS = 1024;

/** What one date has not yet put into its cells. */
export class DaySlot {
  /** The date (days since 1970-01-01), or NaN when the slot is free. */
  day = Number.NaN;
  /** The state's cells of {@link day}. */
  cells: (KpiCell | undefined)[] = [];
  /**
   * Listens per track number, up to {@link FULL_COUNT} (0 for every track
   * not in {@link touched}); a track's listens are its count plus its
   * {@link more}.
   */
  readonly counts: Uint8Array;
  /** Listens per track number moved out of a full {@link counts} (made on first use). */
  more: Int32Array | undefined = undefined;
  /** The tracks whose count is not 0, in the order first counted. */
  touched: Int32Array;
  /** Number of {@link touched} tracks. */
  length = 0;
  /**
   * Listener ids per table genre `sg`: `users[sg * perGenre ..][0 ..
   * userCount[sg])` (a genre's ids go to the cell of its state genre).
   */
  readonly users: Float64Array;
  readonly userCount: Int32Array;
  /** Room for ids per genre in {@link users}. */
  readonly perGenre: number;
  /** When the slot was last looked up (for eviction). */
  used = 0;

  constructor(tracks: number, genres: number) {
    this.counts = new Uint8Array(tracks);
    this.touched = new Int32Array(Math.min(tracks, 1024));
    const per = Math.floor(MAX_SLOT_USERS / Math.max(1, genres));
    this.perGenre = Math.max(MIN_GENRE_USERS, Math.min(MAX_GENRE_USERS, per));
    this.users = new Float64Array(genres * this.perGenre);
    this.userCount = new Int32Array(genres);
  }

  /** Notes that `track`'s count (0 until now) is about to be counted. */
  touch(track: number): void {
    if (this.length === this.touched.length) {
      const grown = new Int32Array(Math.min(this.counts.length, 2 * this.length));
      grown.set(this.touched);
      this.touched = grown;
    }
    this.touched[this.length++] = track;
  }

  /**
   * Moves the full count of `track` to {@link more}: returns its count now
   * (0), or -1, having moved nothing, when its listens would reach
   * {@link MAX_TRACK_COUNT} (the slot must be drained first).
   */
  carry(track: number): number {
    if (this.more === undefined) this.more = new Int32Array(this.counts.length);
    const more = this.more[track]! + FULL_COUNT;
    if (more + FULL_COUNT >= MAX_TRACK_COUNT) return -1;
    this.more[track] = more;
    return 0;
  }

  /** The listens of `track` (counted and moved), both then cleared. */
  take(track: number): number {
    let c = this.counts[track]!;
    this.counts[track] = 0;
    const more = this.more;
    if (more !== undefined) {
      c += more[track]!;
      more[track] = 0;
    }
    return c;
  }
}

/**
 * The slots of one aggregator's folder. `drain(slot)` must put everything
 * the slot holds into the cells of `slot.day` and clear it (`slot.length`
 * and `slot.userCount` zero); `cellsOf(day)` gives the state's cells of a
 * date.
 */
export class DayTrackCounts {
  private readonly slots: DaySlot[] = [];
  private readonly maxSlots: number;
  private clock = 0;

  constructor(
    private readonly tracks: number,
    private readonly genres: number,
    private readonly drain: (slot: DaySlot) => void,
    private readonly cellsOf: (day: number) => (KpiCell | undefined)[],
  ) {
    this.maxSlots = Math.max(1, Math.min(MAX_SLOTS, Math.floor(MAX_SLOT_ENTRIES / tracks)));
  }

  /**
   * The slot of `day`; when it has none, a free slot, or the least recently
   * used one, drained.
   */
  slotOf(day: number): DaySlot {
    const slots = this.slots;
    const now = ++this.clock;
    let oldest: DaySlot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.day === day) {
        slot.used = now;
        return slot;
      }
      if (oldest === undefined || slot.used < oldest.used) oldest = slot;
    }
    let slot: DaySlot;
    if (slots.length < this.maxSlots || oldest === undefined) {
      slot = new DaySlot(this.tracks, this.genres);
      slots.push(slot);
    } else {
      slot = oldest;
      this.drain(slot);
    }
    slot.day = day;
    slot.cells = this.cellsOf(day);
    slot.used = now;
    return slot;
  }

  /** Drains every slot (the state is then complete). */
  drainAll(): void {
    for (const slot of this.slots) this.drain(slot);
  }
}
