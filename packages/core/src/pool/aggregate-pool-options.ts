/** The options of `createAggregatePool` and the lookup tables it ships to its threads. */
import { z } from 'zod';
import { SongsTable } from '../join/songs-table.js';
import { UsersTable } from '../join/users-table.js';
import type { SourceRef } from '../types.js';
import { listenTimeWindowSchema } from '../validate/schemas.js';

/** The lookup tables every thread of a pool joins against. */
export interface PoolTables {
  readonly songs: SongsTable;
  /** Users lookup (unknown users are counted). */
  readonly users?: UsersTable | undefined;
}

/** Options of {@link createAggregatePool}. */
export const aggregatePoolOptionsSchema = z
  .object({
    /** Songs lookup, sent to every thread. Give it, or `tables`. */
    songs: z.instanceof(SongsTable, { message: 'Expected `songs` to be a SongsTable' }).optional(),
    /** Users lookup (unknown users are counted). */
    users: z.instanceof(UsersTable, { message: 'Expected `users` to be a UsersTable' }).optional(),
    /**
     * The lookup tables still being loaded, instead of `songs`/`users`: the
     * threads start (and load their module) at once, and calls wait for the
     * tables before they reach a thread. A rejection fails every call with
     * its reason.
     */
    tables: z
      .custom<PromiseLike<PoolTables>>(
        (v) => typeof (v as { then?: unknown } | null)?.then === 'function',
        { message: 'Expected `tables` to be a promise of { songs, users? }' },
      )
      .optional(),
    /** Worker threads. Default: `os.availableParallelism()`. */
    threads: z.number().int().min(1).max(256).optional(),
    /** IANA zone of the KPI date. Default `UTC`. */
    timeZone: z.string().default('UTC'),
    /** IANA zone of zone-less `listen_time`s. Default `UTC`. */
    sourceTimeZone: z.string().default('UTC'),
    /** Exact (default) or HyperLogLog unique listeners. */
    uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
    /**
     * Accepted `listen_time` instants `{ from?, to? }` (default 2000-01-01 to
     * one day after now, read on each thread); outside → `listen_time_out_of_range`.
     */
    listenTimeWindow: listenTimeWindowSchema.optional(),
    /**
     * URL of the worker module: its default export is
     * `createAggregateWorkerTask(openBytes)`. Default: core's local-file worker
     * (task input `{ path }`).
     */
    workerFile: z.union([z.string(), z.instanceof(URL)]).optional(),
    /**
     * Deadline of each task (one object, or one merge), in ms: past it the task
     * fails with a `PipelineError` `POOL_TASK_TIMEOUT` (its message names the object)
     * and its thread is stopped and replaced. Default 900000 (15 minutes, the
     * longest a Lambda invocation lives).
     */
    taskTimeoutMs: z.number().int().min(1).max(2_147_483_647).default(900_000),
    /**
     * Called whenever a thread reports progress on an object (rows or bytes
     * read, at most about once a second, or a dead-letter batch) — only for
     * calls with a `deadLetter` sink. For watchdogs: a thread that reads is not stuck.
     */
    onProgress: z
      .custom<(source: SourceRef) => void>((v) => typeof v === 'function', {
        message: 'Expected `onProgress` to be a function',
      })
      .optional(),
    /**
     * V8 heap limits of each thread (`worker_threads` `resourceLimits`, in MB).
     * Default: a small young generation and an old generation sized from the
     * lookup tables ({@link defaultPoolResourceLimits}; with `tables`, from
     * none: the songs table lives on shared memory, off the threads' heaps) —
     * a thread's live heap is a few batches and its state, and without limits
     * V8 lets garbage grow the heap far beyond that. A thread that runs out
     * fails its object with `POOL_OUT_OF_MEMORY`.
     */
    resourceLimits: z
      .object({
        maxYoungGenerationSizeMb: z.number().positive().optional(),
        maxOldGenerationSizeMb: z.number().positive().optional(),
        codeRangeSizeMb: z.number().positive().optional(),
        stackSizeMb: z.number().positive().optional(),
      })
      .optional(),
  })
  .refine((o) => (o.songs === undefined) !== (o.tables === undefined), {
    message: 'Expected either `songs` (and `users`) or `tables`',
  })
  .refine((o) => o.tables === undefined || o.users === undefined, {
    message: 'Expected `users` inside `tables`, not beside it',
  });

/** Options of {@link createAggregatePool}. */
export type AggregatePoolOptions = z.input<typeof aggregatePoolOptionsSchema>;
