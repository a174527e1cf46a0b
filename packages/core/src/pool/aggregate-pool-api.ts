/** What `createAggregatePool` returns and its calls answer. */
import type { SerializeKpiStateOptions } from '../aggregate/kpi-codec.js';
import type { KpiState } from '../aggregate/kpi-state.js';
import type { DeadLetterEntry, DeadLetterSink } from '../dead-letter/dead-letter.js';
import type { SerializedKpiMerge } from '../finalize/merge-serialized.js';
import type { SourceCounts, StageMetrics } from '../metrics.js';
import type { SourceRef } from '../types.js';
import type { PoolResultKind, PoolThreadTimes } from './internal/pool-protocol.js';

export type { SerializedKpiMerge } from '../finalize/merge-serialized.js';
export type { PoolThreadTimes } from './internal/pool-protocol.js';

/** What every pooled object's result holds besides the KPI data. */
export interface PooledObject {
  readonly source: SourceRef;
  /** `rowsRead === rowsAggregated + rowsRejected`. */
  readonly counts: SourceCounts;
  readonly bytesRead: number;
  readonly unknownUsers: number;
  /**
   * Rejected rows, in file order, for the caller's dead-letter sink — empty
   * when the call had a `deadLetter` sink (they were written to it).
   */
  readonly deadLetters: readonly DeadLetterEntry[];
  /** Peak RSS seen by the worker's process (shared by all threads). */
  readonly peakRssBytes: number;
  /** Per-stage counters of the object's pipeline (parse, validate, join, aggregate). */
  readonly stages: readonly StageMetrics[];
  /** When the thread that ran it started and had loaded its module (its start-up cost). */
  readonly thread: PoolThreadTimes;
}

/** One object's result from a worker thread, as a state (`result: 'state'`, the default). */
export interface PooledAggregate extends PooledObject {
  /**
   * The object's partial state, rebuilt on this thread over the pool's songs
   * table (merges with other states of that table without string work).
   * Owned by the caller: fold it into an accumulator with `mergeKpiStateInto`.
   */
  readonly state: KpiState;
}

/** One date's canonical partial of an object. */
export interface DatePartial {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** `serializeKpiState(pickKpiDates(state, [date]))` of the object's state. */
  readonly bytes: Uint8Array;
}

/** One object's result as per-date partials (`result: 'partials-by-date'`). */
export interface PooledPartials extends PooledObject {
  /** One per date with listens, dates ascending (as `kpiStateDates`). */
  readonly partials: readonly DatePartial[];
}

/** Per-call options of {@link AggregatePool.aggregate}. */
export interface PoolAggregateOptions {
  readonly signal?: AbortSignal;
  /** `'state'` (default) or `'partials-by-date'`. */
  readonly result?: PoolResultKind;
  /** With `'partials-by-date'`: how they are serialized (see `serializeKpiState`). */
  readonly trackDictionary?: SerializeKpiStateOptions['trackDictionary'];
  /**
   * Where rejected rows go, written on this thread in file order while the
   * object is read (a thread holds at most a few batches of them), and all
   * written before `aggregate` resolves or rejects. Not closed here. Without
   * it, they are returned in `deadLetters` — as many as the object has.
   */
  readonly deadLetter?: DeadLetterSink;
}

/** Per-call options of {@link AggregatePool.merge}. */
export interface PoolMergeOptions {
  readonly signal?: AbortSignal;
  /** Stored track dictionaries by id, for v2 states of other songs tables (see `deserializeKpiState`). */
  readonly dictionaries?: ReadonlyMap<string, Uint8Array>;
}

/** A pool of aggregating worker threads. */
export interface AggregatePool {
  readonly threads: number;
  /**
   * Aggregates one stream object on a free thread; `input` goes to the worker
   * module's `openBytes` (for the default worker: `{ path }` of a local
   * file). Rejects with the thread's error rebuilt (`HeaderError` for a bad
   * header, `PipelineError` with the original `code` otherwise), or with a
   * `PipelineError` `POOL_TASK_TIMEOUT` past the pool's `taskTimeoutMs`.
   */
  aggregate(
    source: SourceRef,
    input: unknown,
    options?: PoolAggregateOptions & { readonly result?: 'state' },
  ): Promise<PooledAggregate>;
  /**
   * Same, but the thread also cuts the state into its canonical per-date
   * partials (`serializeKpiState(pickKpiDates(state, [date]))`), so this
   * thread only handles bytes.
   */
  aggregate(
    source: SourceRef,
    input: unknown,
    options: PoolAggregateOptions & { readonly result: 'partials-by-date' },
  ): Promise<PooledPartials>;
  /**
   * Reads serialized KPI states (e.g. the stored partials of one date) and
   * merges them on a free thread: the string work of reading them stays off
   * this thread. A merge waiting for a thread goes before the `aggregate`
   * calls waiting (whoever waits for a merge, e.g. a commit, is not held up
   * by objects queued after it was due). The result is bound to the pool's songs table (it merges
   * with the pool's other states without string work) and owned by the
   * caller. Rejects with a `PipelineError` (`KPI_STATE_CORRUPT`…) for bad
   * bytes, an `OptionsError` for no state at all.
   */
  merge(
    states: readonly Uint8Array[],
    options?: PoolMergeOptions & { readonly result?: 'state' },
  ): Promise<KpiState>;
  /**
   * Same, but the thread also serializes the merged state (and, with
   * `finalize`, finalizes it into its KPI items): this thread gets bytes to
   * store and items to write, and does no state work at all.
   */
  merge(
    states: readonly Uint8Array[],
    options: PoolMergeOptions & {
      readonly result: 'serialized';
      readonly finalize?: boolean;
      /** How the merge is serialized (see `serializeKpiState`); default `'inline'`. */
      readonly trackDictionary?: SerializeKpiStateOptions['trackDictionary'];
    },
  ): Promise<SerializedKpiMerge>;
  /** What the pool is busy with: the source id of each call not settled (queued or running), or `merge`. */
  pending(): string[];
  /** Stops the threads (waits for running tasks). */
  close(): Promise<void>;
}
