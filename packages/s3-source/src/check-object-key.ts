/**
 * The one rule for which S3 keys may be used to build other keys (archive,
 * rejected, dead-letter). S3 treats `..` and control characters as plain
 * bytes, but stores and tools that map keys to paths (a local mirror, a
 * sync to disk, an S3-compatible server on a file system) resolve them:
 * `streams/../../state/x.csv` archived as `archive/` + key would land
 * outside the archive. Such a key is quarantined, never copied into
 * another key.
 */
import { createHash } from 'node:crypto';
import { S3SourceError } from './errors.js';

/** Why a key is unsafe. */
export interface ObjectKeyProblem {
  /** `dot_segment` (a `.` or `..` path segment) or `control_character`. */
  readonly reason: 'dot_segment' | 'control_character';
  readonly message: string;
}

// C0 controls, DEL and C1 controls: invisible in logs, meaningful to terminals and paths.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * `undefined` when `key` is safe to build other keys from; else the reason.
 * Segments are split on `/` and `\` (a Windows path separator to tools that
 * map keys to files).
 */
export function checkObjectKey(key: string): ObjectKeyProblem | undefined {
  const control = CONTROL.exec(key);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    return {
      reason: 'control_character',
      message: `key ${JSON.stringify(key)} contains the control character U+${code.toUpperCase()}`,
    };
  }
  for (const segment of key.split(/[/\\]/)) {
    if (segment === '..' || segment === '.') {
      return {
        reason: 'dot_segment',
        message: `key ${JSON.stringify(key)} contains a '${segment}' path segment`,
      };
    }
  }
  return undefined;
}

/** Throws `S3SourceError` `UNSAFE_KEY` unless {@link checkObjectKey} accepts `key`. */
export function assertSafeObjectKey(key: string, bucket?: string): void {
  const problem = checkObjectKey(key);
  if (problem === undefined) return;
  throw new S3SourceError(
    'UNSAFE_KEY',
    `Refusing to build a key from an unsafe key: ${problem.message}`,
    {
      key,
      ...(bucket === undefined ? {} : { bucket }),
    },
  );
}

/**
 * A key that stands for an unsafe key without containing it: the SHA-256 of
 * the key in hex, under `unsafe-keys/` (the original is kept in reports).
 */
export function unsafeKeyStandIn(key: string): string {
  return `unsafe-keys/${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
