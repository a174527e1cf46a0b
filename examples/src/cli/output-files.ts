/**
 * Files the CLI writes: checked before a run starts (a missing folder is a
 * setup error, not a crash after the work is done), and NDJSON written with
 * backpressure.
 */
import { once } from 'node:events';
import { open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SetupError } from './errors.js';

/** Throws {@link SetupError} `OUTPUT_FOLDER_NOT_FOUND` unless the folder of `path` exists (`-` passes). */
export async function checkOutputFolder(path: string | undefined, flag: string): Promise<void> {
  if (path === undefined || path === '-') return;
  const folder = dirname(path);
  const isDir = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new SetupError(
      'OUTPUT_FOLDER_NOT_FOUND',
      `Output folder not found for --${flag}: ${folder} (create it first)`,
    );
  }
}

/** Where rejected rows go when `--out -` and no `--dead-letter`: a new file in the OS temp folder. */
export function tempDeadLetterPath(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(tmpdir(), `kpis-dead-letter-${stamp}-${process.pid}.ndjson`);
}

/** True for the error a closed pipe gives (`kpis … | head`). */
export function isClosedPipe(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EPIPE';
}

async function writeLines(stream: Writable, lines: Iterable<string>): Promise<void> {
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= 1 << 16) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  if (buffer !== '' && !stream.write(buffer)) await once(stream, 'drain');
}

/**
 * Writes one JSON value per line to `out` (`-`: stdout). Resolves to
 * `false` when stdout was closed by the reader (EPIPE): not an error.
 */
export async function writeNdjson(out: string, values: Iterable<unknown>): Promise<boolean> {
  function* lines() {
    for (const v of values) yield `${JSON.stringify(v)}\n`;
  }
  if (out === '-') {
    try {
      await writeLines(process.stdout, lines());
      return true;
    } catch (error) {
      if (isClosedPipe(error)) return false;
      throw error;
    }
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(out, 'w');
  } catch (error) {
    throw new SetupError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write --out ${out}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const stream = handle.createWriteStream();
  await writeLines(stream, lines());
  stream.end();
  await finished(stream);
  return true;
}
