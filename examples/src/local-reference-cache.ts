/**
 * The lookup tables of a local dataset kept on disk between runs (core
 * `cachedReferenceTables`), keyed by the reference files themselves (path,
 * size, mtime, inode): an unchanged songs/users folder is read back instead
 * of parsed, any change to a file rebuilds it, and a hit writes the rows the
 * build rejected to the run's dead letter again.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  cachedReferenceTables as cachedTables,
  type DeadLetterSink,
  type ReferenceTablesBuild,
} from '@streamkpi/core';

/** What the reference files are now: their path, size, mtime and inode. */
async function fingerprint(paths: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const path of paths) {
    const s = await stat(path, { bigint: true });
    lines.push(`${resolve(path)}\0${s.size}\0${s.mtimeNs}\0${s.ino}\n`);
  }
  return lines.join('');
}

/**
 * The tables of `paths` from the cache under `dir`, or built by `build`
 * (with a dead-letter sink that also records what it is given) and stored.
 * A hit writes the stored rejected rows to `deadLetter`.
 */
export async function cachedReferenceTables(
  dir: string,
  paths: readonly string[],
  deadLetter: DeadLetterSink,
  build: (deadLetter: DeadLetterSink) => Promise<ReferenceTablesBuild>,
): Promise<ReferenceTablesBuild & { readonly cacheHit: boolean }> {
  const { deadLetters, ...tables } = await cachedTables({
    dir,
    fingerprint: await fingerprint(paths),
    build: (record) =>
      build({
        write(entries) {
          record(entries);
          return deadLetter.write(entries);
        },
        close: () => deadLetter.close(),
      }),
  });
  if (deadLetters.length > 0) await deadLetter.write(deadLetters);
  return tables;
}
