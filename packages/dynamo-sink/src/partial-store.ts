import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PipelineError } from '@streamkpi/core';
import { headObject, listObjects, readObjectBytes } from '@streamkpi/s3-source';
import { z } from 'zod';
import { parseOptions } from './internal/options.js';
import { sendOptions } from './internal/send-options.js';

/** Options of {@link createPartialStore}. */
export const partialStoreOptionsSchema = z.object({
  /** Bucket holding the state objects. */
  bucket: z.string().min(3),
  /** Prefix of the state objects. Default `state/`. */
  prefix: z.string().default('state/'),
});

/** Options of {@link createPartialStore}. */
export type PartialStoreOptions = z.input<typeof partialStoreOptionsSchema> & {
  /** Injected S3 client. */
  readonly client: S3Client;
};

/** What a committed source object contributed; stored once its partials are durable. */
export interface ObjectManifest {
  readonly objectId: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly dates: readonly string[];
  readonly rowsRead: number;
  readonly rowsAggregated: number;
  readonly rowsRejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly committedAt: string;
}

/** A stored partial of one date. */
export interface StoredPartial {
  readonly objectId: string;
  readonly key: string;
}

/** A stored state object as listed (for retention). */
export interface ListedStateObject {
  readonly key: string;
  readonly lastModified: Date | undefined;
}

/**
 * Durable, content-addressed store of the protocol's S3 state: per-(source
 * object, date) KPI partials, a manifest per captured object, per-date
 * snapshots (the merged state of a set of partials, named by its version and
 * set) and the songs track dictionaries that partials and snapshots
 * reference (named by their content hash). Every write is a whole-object
 * PUT of deterministic content, so writing twice is writing once; only
 * retention deletes (package README, "Exactly-once protocol" and "State
 * retention").
 */
export interface PartialStore {
  /** Stable id of a source object version: sha256 of bucket, key and ETag. */
  objectIdOf(bucket: string, key: string, etag: string): string;
  putPartial(
    date: string,
    objectId: string,
    bytes: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void>;
  listPartials(date: string, signal?: AbortSignal): Promise<StoredPartial[]>;
  /** The partial's bytes; `STATE_MISSING` when it is gone. */
  getPartial(partial: StoredPartial, signal?: AbortSignal): Promise<Uint8Array>;
  /** The stored partial of `objectId` for `date` (no request). */
  partialOf(date: string, objectId: string): StoredPartial;
  putManifest(manifest: ObjectManifest, signal?: AbortSignal): Promise<void>;
  getManifest(objectId: string, signal?: AbortSignal): Promise<ObjectManifest | undefined>;
  /** Key of the snapshot of `date` at `version` covering the set named `setId` (no request). */
  snapshotKey(date: string, version: number, setId: string): string;
  putSnapshot(key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** The snapshot's bytes, or undefined when it is gone (removed by retention). */
  getSnapshot(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /** Every state object of one kind for `date`, with its Last-Modified (all pages). */
  listDateObjects(
    kind: 'partials' | 'snapshots',
    date: string,
    signal?: AbortSignal,
  ): Promise<ListedStateObject[]>;
  /** Deletes a state object (retention); deleting a missing one is fine. */
  deleteObject(key: string, signal?: AbortSignal): Promise<void>;
  /** Every date that has partials, ascending (all pages). */
  listDates(signal?: AbortSignal): Promise<string[]>;
  /**
   * Makes the track dictionary `id` (`SongsTable.kpiTrackDictionary()`)
   * durable: a HEAD, and a PUT only when it is missing; once per store.
   */
  putDictionary(id: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** The stored track dictionary `id`, or undefined when there is none (remembered once found). */
  getDictionary(id: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Throws `PipelineError` `INVALID_DATE` for a KPI date that is not
 * `YYYY-MM-DD` (`of` names where it came from in the message).
 */
export function assertKpiDate(date: string, of?: string): void {
  if (!DATE.test(date)) {
    throw new PipelineError(
      'INVALID_DATE',
      `${of === undefined ? '' : `${of}: `}Expected a YYYY-MM-DD date, got ${JSON.stringify(date)}`,
    );
  }
}

/** Creates a {@link PartialStore} over an injected S3 client. */
export function createPartialStore(options: PartialStoreOptions): PartialStore {
  const { client, ...rest } = options;
  const { bucket, prefix } = parseOptions(partialStoreOptionsSchema, rest, 'createPartialStore');
  const partialKey = (date: string, objectId: string) =>
    `${prefix}partials/${date}/${objectId}.kpis`;
  const manifestKey = (objectId: string) => `${prefix}objects/${objectId}.json`;
  const dictionaryKey = (id: string) => {
    if (!/^[0-9a-f]{32}$/.test(id))
      throw new PipelineError('STATE_CORRUPT', `Bad track dictionary id ${JSON.stringify(id)}`);
    return `${prefix}dictionaries/${id}.kpid`;
  };
  // Content-addressed and never deleted: once durable (or read), always so.
  const durable = new Map<string, Promise<true>>();
  const dictionaries = new Map<string, Promise<Uint8Array | undefined>>();
  /** `memo`'s promise for `id`, made by `make` unless one is there; a failure or miss is forgotten. */
  const once = <T>(memo: Map<string, Promise<T>>, id: string, make: () => Promise<T>) => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const made = make();
    memo.set(id, made);
    made.then(
      (v) => v === undefined && memo.delete(id),
      () => memo.delete(id),
    );
    return made;
  };
  const checkDate = (date: string) => assertKpiDate(date);
  const put = async (key: string, body: Uint8Array, type: string, signal?: AbortSignal) => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: type,
      }),
      sendOptions(signal),
    );
  };
  /** The object's bytes (a cut body resumes), or undefined when it does not exist. */
  const get = (key: string, signal?: AbortSignal): Promise<Uint8Array | undefined> =>
    readObjectBytes({ client, bucket, key, ...(signal ? { signal } : {}) });
  const listDateObjects = async (
    kind: 'partials' | 'snapshots',
    date: string,
    signal?: AbortSignal,
  ): Promise<ListedStateObject[]> => {
    checkDate(date);
    const out: ListedStateObject[] = [];
    for await (const { key, lastModified } of listObjects({
      client,
      bucket,
      prefix: `${prefix}${kind}/${date}/`,
      suffixes: ['.kpis'],
      ...(signal ? { signal } : {}),
    })) {
      out.push({ key, lastModified });
    }
    return out;
  };

  return {
    objectIdOf(srcBucket, key, etag) {
      return createHash('sha256')
        .update(`${srcBucket}\u0000${key}\u0000${etag}`)
        .digest('hex')
        .slice(0, 40);
    },

    async putPartial(date, objectId, bytes, signal) {
      checkDate(date);
      await put(partialKey(date, objectId), bytes, 'application/octet-stream', signal);
    },

    async listPartials(date, signal) {
      const listPrefix = `${prefix}partials/${date}/`;
      return (await listDateObjects('partials', date, signal)).map((obj) => ({
        key: obj.key,
        objectId: obj.key.slice(listPrefix.length, -'.kpis'.length),
      }));
    },

    partialOf(date, objectId) {
      checkDate(date);
      return { objectId, key: partialKey(date, objectId) };
    },

    async getPartial(partial, signal) {
      const bytes = await get(partial.key, signal);
      if (bytes === undefined)
        throw new PipelineError('STATE_MISSING', `State object ${partial.key} does not exist`);
      return bytes;
    },

    async putManifest(manifest, signal) {
      const body = Buffer.from(`${JSON.stringify(manifest)}\n`);
      await put(manifestKey(manifest.objectId), body, 'application/json', signal);
    },

    async getManifest(objectId, signal) {
      // One GET (no HEAD first): a missing manifest is the common case of a new object.
      const bytes = await get(manifestKey(objectId), signal);
      if (bytes === undefined) return undefined;
      return JSON.parse(Buffer.from(bytes).toString('utf8')) as ObjectManifest;
    },

    snapshotKey(date, version, setId) {
      checkDate(date);
      return `${prefix}snapshots/${date}/${String(version).padStart(10, '0')}-${setId}.kpis`;
    },

    async putSnapshot(key, bytes, signal) {
      await put(key, bytes, 'application/octet-stream', signal);
    },

    getSnapshot: get,

    listDateObjects,

    async listDates(signal) {
      const dates: string[] = [];
      let token: string | undefined;
      const listPrefix = `${prefix}partials/`;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: listPrefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
          sendOptions(signal),
        );
        for (const p of page.CommonPrefixes ?? []) {
          const date = p.Prefix?.slice(listPrefix.length, -1) ?? '';
          if (DATE.test(date)) dates.push(date);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return dates.sort();
    },

    putDictionary(id, bytes, signal) {
      const key = dictionaryKey(id);
      return once(durable, id, async () => {
        if ((await headObject(client, bucket, key, signal)) === undefined)
          await put(key, bytes, 'application/octet-stream', signal);
        return true;
      }).then(() => {});
    },

    getDictionary(id, signal) {
      const key = dictionaryKey(id);
      return once(dictionaries, id, () => get(key, signal));
    },

    async deleteObject(key, signal) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), sendOptions(signal));
    },
  };
}
