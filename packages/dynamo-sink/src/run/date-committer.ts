/**
 * Commit step of a run, as objects are captured: one commit at a time per
 * date; partials that arrive while a date's commit is in flight wait and go
 * into its next commit together (one snapshot and head swap for all). A
 * batch starts once the objects read side by side with its partials'
 * objects are captured (`ready`, given the partials' largest mark), so
 * objects read side by side that share a date cost that date one commit,
 * not one each; objects that started after them are not waited for.
 */
import type { CommitDateResult, PendingPartial } from '../commit-date.js';

/** Commits one date's pending partials (e.g. `commitDate` bound to the run). */
export type CommitBatch = (
  date: string,
  pending: readonly PendingPartial[],
) => Promise<CommitDateResult>;

interface Waiter {
  readonly partial: PendingPartial;
  /** Passed to `ready`: which captures this partial's batch waits for. */
  readonly mark: number | undefined;
  readonly resolve: (result: CommitDateResult) => void;
  readonly reject: (error: unknown) => void;
}

/** A per-date commit queue and the run's totals per date. */
export interface DateCommitter {
  /**
   * Resolves once a commit of `date` that includes `partial` has completed;
   * `mark` is handed to `ready` (e.g. the capture's read mark).
   */
  add(date: string, partial: PendingPartial, mark?: number): Promise<CommitDateResult>;
  /** One result per committed date, ascending: last version, items summed over its commits. */
  results(): CommitDateResult[];
  /** Dates whose last commit failed, with its error. */
  readonly failed: ReadonlyMap<string, unknown>;
}

/**
 * Creates a {@link DateCommitter}; `onFailure` hears each failed commit once.
 * `ready` is awaited before each batch is taken: e.g. the
 * captures in flight settling. Default: none.
 */
export function createDateCommitter(
  commit: CommitBatch,
  onFailure: (error: unknown, date: string) => Promise<void>,
  ready: (mark: number | undefined) => Promise<void> = async () => {},
): DateCommitter {
  const queues = new Map<string, Waiter[]>();
  const running = new Set<string>();
  const totals = new Map<string, CommitDateResult>();
  const failed = new Map<string, unknown>();

  const drain = async (date: string) => {
    running.add(date);
    try {
      for (;;) {
        if ((queues.get(date)?.length ?? 0) === 0) return;
        // Partials captured meanwhile join this batch.
        const marks = (queues.get(date) ?? []).map((w) => w.mark);
        const mark = marks.includes(undefined) ? undefined : Math.max(...(marks as number[]));
        await ready(mark).catch(() => undefined);
        const batch = queues.get(date)?.splice(0) ?? [];
        try {
          const result = await commit(
            date,
            batch.map((w) => w.partial),
          );
          const before = totals.get(date);
          totals.set(date, {
            ...result,
            itemsWritten: (before?.itemsWritten ?? 0) + result.itemsWritten,
            itemsStale: (before?.itemsStale ?? 0) + result.itemsStale,
            partialsMerged: (before?.partialsMerged ?? 0) + result.partialsMerged,
          });
          failed.delete(date);
          for (const w of batch) w.resolve(result);
        } catch (error) {
          failed.set(date, error);
          let reason = error;
          try {
            await onFailure(error, date);
          } catch (hookError) {
            reason = hookError;
          }
          for (const w of batch) w.reject(reason);
        }
      }
    } finally {
      running.delete(date);
    }
  };

  return {
    add(date, partial, mark) {
      return new Promise<CommitDateResult>((resolve, reject) => {
        let queue = queues.get(date);
        if (queue === undefined) {
          queue = [];
          queues.set(date, queue);
        }
        queue.push({ partial, mark, resolve, reject });
        if (!running.has(date)) void drain(date);
      });
    },
    results: () => [...totals.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
    failed,
  };
}
