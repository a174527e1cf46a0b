/**
 * Where a run reads and writes: one bucket, the dataset folders below a
 * root prefix, and the archive location. Built once from the parsed options.
 */

/** The S3 layout of a run; every prefix is a full key prefix (root included). */
export interface RunLayout {
  /** Source bucket: reference data, streams, state, dead letter, rejected. */
  readonly bucket: string;
  readonly archiveBucket: string;
  readonly songs: string;
  readonly users: string;
  readonly streams: string;
  readonly archive: string;
  readonly state: string;
  readonly deadLetter: string;
  readonly rejected: string;
}

/** The layout from the run's options (prefixes below `prefix`). */
export function runLayout(o: {
  readonly bucket: string;
  readonly prefix: string;
  readonly archiveBucket?: string | undefined;
  readonly archivePrefix: string;
  readonly statePrefix: string;
  readonly deadLetterPrefix: string;
  readonly rejectedPrefix: string;
}): RunLayout {
  const root = o.prefix;
  return {
    bucket: o.bucket,
    archiveBucket: o.archiveBucket ?? o.bucket,
    songs: `${root}songs/`,
    users: `${root}users/`,
    streams: `${root}streams/`,
    archive: root + o.archivePrefix,
    state: root + o.statePrefix,
    deadLetter: root + o.deadLetterPrefix,
    rejected: root + o.rejectedPrefix,
  };
}

/** Key of the archived copy of a stream key, or undefined when `key` is not below `streams`. */
export function archiveKeyOf(layout: RunLayout, key: string): string | undefined {
  return key.startsWith(layout.streams)
    ? layout.archive + key.slice(layout.streams.length)
    : undefined;
}
