/**
 * Per-object flow of a run: take a capture slot, claim the object, capture
 * it, free the slot, commit its dates, archive it, release the claim.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { archiveObject, type S3ObjectInfo } from '@streamkpi/s3-source';
import { type CommitDateResult, commitDate, type PendingPartial } from '../commit-date.js';
import { allSettledOrThrow } from '../internal/all-settled.js';
import { childSignal } from '../internal/child-signal.js';
import { putItemsIfNewer } from '../put-item-if-newer.js';
import type { CaptureGate } from './capture-gate.js';
import { type CaptureContext, type Captured, captureObject } from './capture-object.js';
import type { Connection } from './connect.js';
import type { DateCommitter } from './date-committer.js';
import { ObjectFailedError, step } from './object-failure.js';
import type { ObjectOutcome } from './outcomes.js';

/** What the per-object flow shares across objects. */
export interface ObjectFlow {
  readonly capture: CaptureContext;
  readonly committer: DateCommitter;
  /** The run's capture slots: held from the claim until the object is read, waited on until it is captured. */
  readonly captures: CaptureGate;
  /** This run's claim owner id. */
  readonly owner: string;
  readonly claimTtlMs: number;
  readonly report: (error: unknown, context: { key?: string; date?: string }) => Promise<void>;
}

/** Slot → claim → capture (the slot goes on once it is read) → commit its dates → archive → release, for one object. */
export async function runObject(object: S3ObjectInfo, runFlow: ObjectFlow): Promise<ObjectOutcome> {
  // The object's calls (claim renewals too) on a signal of its own: see childSignal.
  const signal = childSignal(runFlow.capture.signal);
  // Claimed only once it can be read: objects waiting for a slot hold no claim.
  const slot = await runFlow.captures.enter();
  const flow: ObjectFlow = {
    ...runFlow,
    capture: { ...runFlow.capture, signal, onRead: slot.read },
  };
  const { heads } = flow.capture.connection;
  const claimKey = `${object.bucket}/${object.key}`;
  const { bucket, key } = object;
  try {
    const claimed = await step(bucket, key, 'claim', () =>
      heads.claim(claimKey, flow.owner, flow.claimTtlMs, signal),
    );
    if (!claimed) {
      return { key: object.key, etag: object.etag, status: 'claimed', dates: [], archived: false };
    }
    // Renewed while held: a slow object is not taken over by another worker.
    const renew = setInterval(
      () => void heads.claim(claimKey, flow.owner, flow.claimTtlMs, signal).catch(() => undefined),
      Math.max(50, Math.floor(flow.claimTtlMs / 3)),
    );
    renew.unref();
    try {
      const captured = await step(bucket, key, 'capture', () =>
        captureObject(object, flow.capture),
      );
      // The next object is read while this one's dates commit.
      slot.free();
      if (captured.status === 'rejected') {
        const { key, etag, error } = captured;
        return { key, etag, status: 'rejected', dates: [], archived: false, error };
      }
      return await commitAndArchive(captured, flow, slot.mark);
    } finally {
      clearInterval(renew);
      await step(bucket, key, 'claim', () => heads.release(claimKey, flow.owner, signal));
    }
  } finally {
    slot.free();
  }
}

async function commitAndArchive(
  captured: Extract<Captured, { status: 'processed' | 'skipped' }>,
  flow: ObjectFlow,
  mark: number,
): Promise<ObjectOutcome> {
  const { key, etag, status, dates, objectId } = captured;
  const { layout, s3, signal } = flow.capture;
  const bytes = new Map(captured.partials.map((p) => [p.date, p.bytes]));
  const base = { key, etag, status, dates };
  try {
    // Every date settles first: a failed date leaves none of the object's others committing.
    await allSettledOrThrow(
      dates.map((date) => {
        const held = bytes.get(date);
        const partial = held === undefined ? { objectId } : { objectId, bytes: held };
        return step(
          layout.bucket,
          key,
          'commit',
          () => flow.committer.add(date, partial, mark),
          date,
        );
      }),
    );
  } catch (error) {
    // Reported once per failed commit by the committer; the object stays for the next run.
    return { ...base, archived: false, error };
  }
  const committedAt = Date.now();
  const latency =
    status === 'processed' && captured.lastModified !== undefined
      ? { landingToCommittedMs: Math.max(0, committedAt - captured.lastModified.getTime()) }
      : {};
  try {
    await archiveObject({
      client: s3,
      bucket: layout.bucket,
      key,
      etag,
      sourcePrefix: layout.streams,
      archivePrefix: layout.archive,
      archiveBucket: layout.archiveBucket,
      ...(signal ? { signal } : {}),
    });
    return { ...base, archived: true, ...latency };
  } catch (cause) {
    const error = new ObjectFailedError(layout.bucket, key, 'archive', cause);
    await flow.report(error, { key });
    return { ...base, archived: false, ...latency, error };
  }
}

/** One commit of a date through the run's state, table and (when there is one) pool. */
export function commitOnce(
  date: string,
  pending: readonly PendingPartial[],
  c: Connection,
  dynamo: DynamoDBClient,
  tableName: string,
  signal: AbortSignal | undefined,
): Promise<CommitDateResult> {
  const pool = c.pool?.pool;
  return commitDate(date, {
    store: c.store,
    heads: c.heads,
    pending,
    songs: c.songs,
    // Snapshots reference the stored track dictionary of the run's songs table.
    trackDictionary: 'reference',
    // Reading, merging, serializing and finalizing states: on the pool's threads when there are any.
    ...(pool === undefined
      ? {}
      : { merge: (states, m) => pool.merge(states, { ...m, result: 'serialized' }) }),
    // The date's calls on a signal of its own: see childSignal.
    ...(signal ? { signal: childSignal(signal) } : {}),
    putItemsIfNewer: async (items, s) => {
      const r = await putItemsIfNewer({
        client: dynamo,
        tableName,
        items: [...items],
        version: items[0]?.version ?? 0,
        ...(s ? { signal: s } : {}),
      });
      return { written: r.written, stale: r.stale };
    },
  });
}

/** The objects of an event-driven run (ETag and size unknown until read). */
export function* announced(bucket: string, keys: readonly string[]): Iterable<S3ObjectInfo> {
  for (const key of keys) yield { bucket, key, etag: '', size: 0, lastModified: undefined };
}
