/**
 * Per-object step of a run (protocol steps 1–4): read one stream object,
 * aggregate it, store its per-date partials and then its manifest. An object
 * captured earlier (manifest found) is not read again.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  aggregateStreamFile,
  type DatePartial,
  type listenTimeWindowSchema,
  PipelineError,
  RunMetrics,
  type SourceCounts,
  serializeKpiStateByDate,
  unprocessableFile,
} from '@streamkpi/core';
import {
  checkObjectKey,
  headObject,
  openObject,
  type S3ObjectInfo,
  S3SourceError,
  s3DeadLetter,
  sourceRefOf,
} from '@streamkpi/s3-source';
import pLimit from 'p-limit';
import type { z } from 'zod';
import { allSettledOrThrow } from '../internal/all-settled.js';
import { prestoreDictionary, storeStateDictionaries } from '../internal/state-dictionaries.js';
import { assertKpiDate } from '../partial-store.js';
import type { Connection } from './connect.js';
import { archiveKeyOf, type RunLayout } from './layout.js';
import { quarantine, quarantineUnsafeKey } from './quarantine-object.js';

/** Partial PUTs of one object in flight at once. */
const STORE_CONCURRENCY = 4;

/** What {@link captureObject} needs: the run's settings and connected resources. */
export interface CaptureContext {
  readonly s3: S3Client;
  readonly layout: RunLayout;
  readonly connection: Connection;
  readonly metrics: RunMetrics;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners: 'exact' | 'hll';
  readonly listenTimeWindow: z.input<typeof listenTimeWindowSchema> | undefined;
  readonly signal: AbortSignal | undefined;
  /** Called once the object is read and aggregated, before its partials are stored. */
  readonly onRead?: () => void;
}

/** An object's capture: its partials are durable, its manifest written. */
export type Captured =
  | {
      /** `processed`: read now; `skipped`: captured earlier (its bytes are not held). */
      readonly status: 'processed' | 'skipped';
      readonly key: string;
      readonly etag: string;
      readonly objectId: string;
      readonly dates: readonly string[];
      /** The per-date partial bytes just stored (none for `skipped`). */
      readonly partials: readonly DatePartial[];
      readonly lastModified: Date | undefined;
    }
  | {
      readonly status: 'rejected';
      readonly key: string;
      readonly etag: string;
      /** Why it can never be processed: an empty file, a header without the required columns, or an `UNSAFE_KEY` S3SourceError. */
      readonly error: Error;
    };

/** Steps 1–4 of the protocol for one object. */
export async function captureObject(object: S3ObjectInfo, c: CaptureContext): Promise<Captured> {
  const { s3, signal } = c;
  const { store, pool } = c.connection;
  const sig = signal ? { signal } : {};
  const unsafe = checkObjectKey(object.key);
  if (unsafe !== undefined) return quarantineUnsafeKey(object, unsafe, c);
  // Listed with its ETag: captured already (an earlier run, another worker)? Then not read again.
  if (object.etag) {
    const done = await capturedEarlier(object.key, object.etag, c);
    if (done !== undefined) return done;
  }
  // On the calling thread the object is opened here; on a pool thread it is
  // opened there, pinned to the ETag known here (HEAD for announced keys).
  let opened: Awaited<ReturnType<typeof openObject>> | undefined;
  let etag = object.etag;
  let lastModified = object.lastModified;
  try {
    if (pool === undefined) {
      opened = await openObject({
        client: s3,
        bucket: object.bucket,
        key: object.key,
        ...(object.etag ? { etag: object.etag } : {}),
        ...sig,
      });
      etag = opened.etag;
      lastModified ??= opened.lastModified;
    } else if (!etag) {
      const head = await headObject(s3, object.bucket, object.key, signal);
      if (head === undefined) {
        throw new S3SourceError(
          'SOURCE_MISSING',
          `s3://${object.bucket}/${object.key} does not exist`,
          {
            bucket: object.bucket,
            key: object.key,
          },
        );
      }
      etag = head.etag;
      lastModified ??= head.lastModified;
    }
  } catch (error) {
    // Gone since it was listed or announced: another worker (or an earlier run)
    // committed and archived it — a duplicate event. Done, not failed.
    if (!(error instanceof S3SourceError && error.code === 'SOURCE_MISSING')) throw error;
    const done = await capturedEarlier(
      object.key,
      object.etag || (await archivedEtag(object.key, c)),
      c,
    );
    if (done !== undefined) return done;
    throw error;
  }
  const objectId = store.objectIdOf(object.bucket, object.key, etag);
  // (A listed object's manifest was looked up above.)
  const manifest = object.etag ? undefined : await store.getManifest(objectId, signal);
  if (manifest !== undefined) {
    opened?.body.destroy();
    return skipped(object.key, etag, objectId, manifest.dates);
  }
  const source = opened?.source ?? sourceRefOf({ bucket: object.bucket, key: object.key, etag });
  const deadLetter = s3DeadLetter({
    client: s3,
    bucket: object.bucket,
    prefix: c.layout.deadLetter,
    source,
    ...sig,
  });
  // The track dictionary the partials will reference is made durable while the object is read.
  const storeDictionary = () => prestoreDictionary(store, c.connection.songs, signal);
  let partials: readonly DatePartial[];
  let counts: SourceCounts;
  try {
    if (opened !== undefined) {
      // Counted into the run only once captured: a failed object's rows count nowhere.
      const own = new RunMetrics();
      storeDictionary();
      const result = await aggregateStreamFile(opened.body, {
        source,
        songs: c.connection.songs,
        ...(c.connection.users ? { users: c.connection.users } : {}),
        deadLetter,
        metrics: own,
        timeZone: c.timeZone,
        sourceTimeZone: c.sourceTimeZone,
        uniqueListeners: c.uniqueListeners,
        ...(c.listenTimeWindow === undefined ? {} : { listenTimeWindow: c.listenTimeWindow }),
        ...sig,
      });
      partials = serializeKpiStateByDate(result.state, { trackDictionary: 'reference' });
      counts = result.counts;
      c.metrics.addStages(own.stages);
      c.metrics.addBytes(own.bytesRead);
      c.metrics.peakRssBytes = Math.max(c.metrics.peakRssBytes, own.peakRssBytes);
    } else {
      // A pool thread returns the per-date partial bytes itself (the same
      // bytes as `serializeKpiStateByDate(state)` here).
      const input = { bucket: object.bucket, key: object.key, etag, client: pool?.client ?? {} };
      const task = (pool as NonNullable<typeof pool>).pool.aggregate(source, input, {
        ...sig,
        result: 'partials-by-date',
        trackDictionary: 'reference',
        deadLetter,
      });
      // Once the thread has its task: building the dictionary (a cold table) does not delay it.
      storeDictionary();
      const pooled = await task;
      c.metrics.addStages(pooled.stages);
      c.metrics.addBytes(pooled.bytesRead);
      partials = pooled.partials;
      counts = pooled.counts;
    }
    c.onRead?.();
    // Before any partial is stored: a date that can never be committed quarantines the object.
    for (const p of partials) assertKpiDate(p.date, source.id);
  } catch (error) {
    opened?.body.destroy();
    if (error instanceof PipelineError && error.code === 'SOURCE_MISSING') {
      // Archived by another worker while a pool thread was about to read it.
      // The sink saw none of the object's rows: it is dropped, not closed —
      // closing removes the parts beyond those it wrote, i.e. every part the
      // committing worker wrote, and loses its rejected rows.
      const done = await capturedEarlier(object.key, etag, c);
      if (done !== undefined) return done;
      throw error;
    }
    // Captured by another worker while this one read it (its claim was lost):
    // the dead-letter parts under these names are that worker's now.
    // (A failed lookup leaves it to the discard: this object's error is the one to report.)
    const done = await capturedEarlier(object.key, etag, c).catch(() => undefined);
    if (done !== undefined) return done;
    // Its rows are counted nowhere, so its dead letters are withdrawn too.
    await deadLetter.discard();
    const unprocessable = unprocessableFile(error, 'streams');
    if (unprocessable === undefined) throw error;
    await quarantine(object, etag, unprocessable.message, unprocessable.missing, c);
    return { status: 'rejected', key: object.key, etag, error: error as Error };
  }
  c.metrics.addCounts(source, counts);
  // Dead letters and partials are durable before the object counts as captured (its
  // manifest), side by side; the partials once the dictionary they reference is.
  const limit = pLimit(STORE_CONCURRENCY);
  const dictionary = storeStateDictionaries(store, c.connection.songs, partials, signal);
  await allSettledOrThrow([
    deadLetter.close(),
    dictionary,
    ...partials.map(({ date, bytes }) =>
      limit(() => dictionary.then(() => store.putPartial(date, objectId, bytes, signal))),
    ),
  ]);
  const dates = partials.map((p) => p.date);
  await store.putManifest(
    {
      objectId,
      bucket: object.bucket,
      key: object.key,
      etag,
      dates,
      rowsRead: counts.rowsRead,
      rowsAggregated: counts.rowsAggregated,
      rowsRejected: counts.rowsRejected,
      rejectedByReason: counts.rejectedByReason,
      committedAt: new Date().toISOString(),
    },
    signal,
  );
  return { status: 'processed', key: object.key, etag, objectId, dates, partials, lastModified };
}

function skipped(key: string, etag: string, objectId: string, dates: readonly string[]): Captured {
  return { status: 'skipped', key, etag, objectId, dates, partials: [], lastModified: undefined };
}

/** The capture of an object version whose manifest exists (`skipped`), else undefined. */
async function capturedEarlier(
  key: string,
  etag: string | undefined,
  c: CaptureContext,
): Promise<Captured | undefined> {
  if (etag === undefined) return undefined;
  const { store } = c.connection;
  const objectId = store.objectIdOf(c.layout.bucket, key, etag);
  const manifest = await store.getManifest(objectId, c.signal);
  return manifest === undefined ? undefined : skipped(key, etag, objectId, manifest.dates);
}

/** ETag of the archived copy of `key`, or undefined when there is none. */
async function archivedEtag(key: string, c: CaptureContext): Promise<string | undefined> {
  const archiveKey = archiveKeyOf(c.layout, key);
  if (archiveKey === undefined) return undefined;
  return (await headObject(c.s3, c.layout.archiveBucket, archiveKey, c.signal))?.etag || undefined;
}
