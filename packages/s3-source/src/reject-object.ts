import { PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { checkObjectKey, unsafeKeyStandIn } from './check-object-key.js';
import {
  ensureFolderMarker,
  type MoveStatus,
  moveObject,
  relativeKey,
} from './internal/move-object.js';
import { parseOptions, sendOptions, stripQuotes } from './internal/s3-util.js';
import { objectOptionsSchema, prefixSchema, signalSchema } from './internal/schemas.js';

/** Options of {@link rejectObject}. */
export const rejectObjectOptionsSchema = objectOptionsSchema.extend({
  // `key` is the file that failed the header check; `etag`, as checked, is
  // recorded in the report.
  /** Part of the key dropped before prefixing with `rejectedPrefix`. Default `''` (keep the whole key). */
  sourcePrefix: prefixSchema.default(''),
  /** Where rejected files go. Default `rejected/`. */
  rejectedPrefix: prefixSchema.default('rejected/'),
  /** Required columns missing from the header. */
  missing: z.array(z.string()).readonly(),
  /** Why the file was rejected, e.g. `MISSING_COLUMNS` or a message. */
  reason: z.string().min(1),
  /** Keep (recreate if missing) the zero-byte marker `sourcePrefix`. Default `true`. */
  keepFolderMarker: z.boolean().default(true),
  /** Clock for the report's `rejectedAt`. Default `() => new Date()`. */
  now: z.custom<() => Date>((v) => typeof v === 'function').optional(),
  /** Cancels the operation; passed to every SDK call. */
  signal: signalSchema,
});

/** Options of {@link rejectObject}. */
export type RejectObjectOptions = z.input<typeof rejectObjectOptionsSchema>;

/** The JSON report stored beside a rejected file as `<rejected key>.report.json`. */
export interface RejectReport {
  readonly bucket: string;
  readonly sourceKey: string;
  readonly rejectedKey: string;
  readonly etag: string | null;
  readonly reason: string;
  readonly missing: readonly string[];
  /** Present when the source key itself is unsafe (then `rejectedKey` is a stand-in): why. */
  readonly keyProblem?: string;
  /** ISO-8601 time of the rejection. */
  readonly rejectedAt: string;
}

/** What {@link rejectObject} did. */
export interface RejectResult {
  readonly status: MoveStatus;
  readonly rejectedKey: string;
  readonly reportKey: string;
  readonly report: RejectReport;
}

/**
 * Move a file that failed the header check to `rejectedPrefix + (key -
 * sourcePrefix)` and write a JSON report beside it. Order: copy, report,
 * delete, so a crash in between leaves the source in place for a re-run.
 * Idempotent like {@link archiveObject}.
 *
 * A key that `checkObjectKey` refuses (`..` segments, control characters)
 * is quarantined under `rejectedPrefix + unsafe-keys/<sha256 of the key>`
 * instead, never copied into the new key; the report names the original
 * key and `keyProblem`.
 */
export async function rejectObject(options: RejectObjectOptions): Promise<RejectResult> {
  const o = parseOptions(rejectObjectOptionsSchema, options, 'rejectObject');
  const keyProblem = checkObjectKey(o.key);
  const rejectedKey =
    o.rejectedPrefix +
    (keyProblem === undefined ? relativeKey(o.key, o.sourcePrefix) : unsafeKeyStandIn(o.key));
  const reportKey = `${rejectedKey}.report.json`;
  const etag = stripQuotes(o.etag);
  const report: RejectReport = {
    bucket: o.bucket,
    sourceKey: o.key,
    rejectedKey,
    etag: etag ?? null,
    reason: o.reason,
    missing: [...o.missing],
    ...(keyProblem === undefined ? {} : { keyProblem: keyProblem.message }),
    rejectedAt: (o.now ?? (() => new Date()))().toISOString(),
  };
  const status = await moveObject({
    client: o.client,
    bucket: o.bucket,
    key: o.key,
    etag,
    targetBucket: o.bucket,
    targetKey: rejectedKey,
    signal: o.signal,
    beforeDelete: async () => {
      await o.client.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: reportKey,
          Body: Buffer.from(`${JSON.stringify(report, null, 2)}\n`),
          ContentType: 'application/json',
        }),
        sendOptions(o.signal),
      );
    },
  });
  if (o.keepFolderMarker && (keyProblem === undefined || o.sourcePrefix !== '')) {
    const folder = o.key.slice(0, o.key.lastIndexOf('/') + 1);
    await ensureFolderMarker(o.client, o.bucket, o.sourcePrefix || folder, o.signal);
  }
  return { status, rejectedKey, reportKey, report };
}
