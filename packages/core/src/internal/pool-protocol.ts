/** Messages between {@link createAggregatePool} and its worker threads. */
import type { DeadLetterEntry } from '../dead-letter.js';
import type { SourceCounts } from '../metrics.js';
import type { SourceRef } from '../types.js';
import type { SongsTableData } from './table-transfer.js';

/** One stream object to aggregate. */
export interface PoolTask {
  readonly source: SourceRef;
  /** Structured-clone input of the worker's `openBytes` (e.g. a path, or bucket/key/ETag). */
  readonly input: unknown;
}

/** A failure, as data. */
export interface PoolTaskError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly missing?: string[];
  readonly line?: number;
}

/** What a worker answers. */
export type PoolTaskResult =
  | {
      readonly ok: true;
      /** `serializeKpiState` of the object's state. */
      readonly state: Uint8Array;
      readonly counts: SourceCounts;
      readonly bytesRead: number;
      readonly unknownUsers: number;
      readonly deadLetters: DeadLetterEntry[];
      readonly peakRssBytes: number;
    }
  | { readonly ok: false; readonly error: PoolTaskError };

/** `workerData` of every worker. */
export interface PoolWorkerData {
  readonly songs: SongsTableData;
  readonly userIds?: Float64Array;
  readonly options: {
    readonly timeZone: string;
    readonly sourceTimeZone: string;
    readonly uniqueListeners: 'exact' | 'hll';
  };
}
