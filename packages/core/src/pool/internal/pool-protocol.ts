/** Messages between {@link createAggregatePool} and its worker threads. */
import type { MessagePort } from 'node:worker_threads';
import type { SerializeKpiStateOptions } from '../../aggregate/kpi-codec.js';
import type { DeadLetterEntry } from '../../dead-letter/dead-letter.js';
import type { KpiItem } from '../../finalize/kpi-item.js';
import type { SourceCounts, StageMetrics } from '../../metrics.js';
import type { SourceRef } from '../../types.js';
import type { KpiStateTransfer } from './kpi-transfer.js';
import type { SongsTableData } from './table-transfer.js';

/**
 * What a task returns: the object's state (moved cheaply, see
 * `kpi-transfer.ts`) or its canonical per-date partials.
 */
export type PoolResultKind = 'state' | 'partials-by-date';

/**
 * Serialized KPI states (e.g. the stored partials of one date) to read,
 * bound to the thread's songs table, and merge into one state.
 */
export interface PoolMergeTask {
  readonly kind: 'merge';
  readonly tables: PoolTablesData;
  readonly states: readonly Uint8Array[];
  /** `'state'` (default): the merged state itself; `'serialized'`: its bytes (and items). */
  readonly result?: 'state' | 'serialized';
  /** With `'serialized'`: also finalize the merged state into its KPI items. */
  readonly finalize?: boolean;
  /** With `'serialized'`: how the merge is serialized (`serializeKpiState`'s option). */
  readonly trackDictionary?: SerializeKpiStateOptions['trackDictionary'];
  /** Stored track dictionaries by id, for v2 states of other songs tables. */
  readonly dictionaries?: ReadonlyMap<string, Uint8Array>;
  /** Where the thread posts `{ started: true }` when it takes the task up (then closes it). */
  readonly startPort?: MessagePort;
}

/** What a merge task answers. */
export type PoolMergeResult =
  | { readonly ok: true; readonly kind: 'merged'; readonly state: KpiStateTransfer }
  | {
      readonly ok: true;
      readonly kind: 'serialized';
      readonly bytes: Uint8Array;
      readonly items: readonly KpiItem[];
    }
  | { readonly ok: false; readonly error: PoolTaskError };

/** One stream object to aggregate. */
export interface PoolTask {
  readonly tables: PoolTablesData;
  readonly source: SourceRef;
  /** Structured-clone input of the worker's `openBytes` (e.g. a path, or bucket/key/ETag). */
  readonly input: unknown;
  /** Default `'state'`. */
  readonly result?: PoolResultKind;
  /** With `'partials-by-date'`: how they are serialized (`serializeKpiState`'s option). */
  readonly trackDictionary?: SerializeKpiStateOptions['trackDictionary'];
  /**
   * When given, rejected rows are posted here as they are found
   * ({@link DeadLetterMessage}) instead of being returned with the result.
   */
  readonly deadLetterPort?: MessagePort;
}

/**
 * Worker → caller on a task's `deadLetterPort`: the task was taken up (sent
 * first), a batch of rejected rows (the
 * caller answers each with {@link DEAD_LETTER_ACK} once written), a progress
 * beat (rows and bytes read so far, at most every {@link PROGRESS_BEAT_MS}
 * while they grow), or the end of the task's rows (sent last, also after a
 * failure).
 */
export type DeadLetterMessage =
  | { readonly entries: readonly DeadLetterEntry[] }
  | { readonly progress: number }
  | { readonly started: true }
  | { readonly end: true };

/** How often a thread tells its caller that it still reads (when it does). */
export const PROGRESS_BEAT_MS = 1000;

/** Caller → worker on a `deadLetterPort`: one batch was written. */
export const DEAD_LETTER_ACK = 'ack';

/** Batches a worker may have in flight before it waits for the caller's writes. */
export const DEAD_LETTER_WINDOW = 4;

/** A failure, as data. */
export interface PoolTaskError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly missing?: string[];
  readonly line?: number;
}

/** What every successful task answers. */
export interface PoolTaskDone {
  readonly ok: true;
  readonly counts: SourceCounts;
  readonly bytesRead: number;
  readonly unknownUsers: number;
  /** Rejected rows, when the task had no `deadLetterPort` (else empty). */
  readonly deadLetters: DeadLetterEntry[];
  readonly peakRssBytes: number;
  /** Per-stage counters of the task's pipeline. */
  readonly stages: StageMetrics[];
  /** When the thread started and had loaded its module (epoch ms). */
  readonly thread: PoolThreadTimes;
}

/** When a pool thread started and had loaded its module (epoch ms, `performance.timeOrigin` based). */
export interface PoolThreadTimes {
  readonly startedAtMs: number;
  readonly moduleLoadedAtMs: number;
}

/** What a worker answers. */
export type PoolTaskResult =
  | (PoolTaskDone & { readonly kind: 'state'; readonly state: KpiStateTransfer })
  | (PoolTaskDone & {
      readonly kind: 'partials-by-date';
      /** Ascending `YYYY-MM-DD` dates with listens… */
      readonly dates: string[];
      /** …and `serializeKpiState(pickKpiDates(state, [date]))` of each. */
      readonly partials: Uint8Array[];
    })
  | { readonly ok: false; readonly error: PoolTaskError };

/**
 * The lookup tables as every task carries them: shared memory (cloning it
 * costs a handle, not a copy), so the tables can come after the threads
 * start; a thread builds its tables from the first task it runs.
 */
export interface PoolTablesData {
  readonly songs: SongsTableData;
  /** The users' ids, on shared memory. */
  readonly userIds?: Float64Array;
}

/** `workerData` of every worker. */
export interface PoolWorkerData {
  readonly options: {
    readonly timeZone: string;
    readonly sourceTimeZone: string;
    readonly uniqueListeners: 'exact' | 'hll';
    readonly listenTimeWindow?: { readonly from: Date; readonly to?: Date };
  };
}
