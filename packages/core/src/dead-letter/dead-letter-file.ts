import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { DeadLetterSink } from './dead-letter.js';

/** Options of {@link fileDeadLetter}. */
export const fileDeadLetterOptionsSchema = z
  .object({
    /** Path of the NDJSON file to write; created (or truncated) on the first write. */
    path: z.string().min(1),
    /**
     * Cancels the sink: `write` rejects with the signal's reason, and the
     * file written so far is removed (an aborted run leaves no partial dead
     * letter; running again writes it whole).
     */
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

/** Options of {@link fileDeadLetter}. */
export type FileDeadLetterOptions = z.input<typeof fileDeadLetterOptionsSchema>;

/**
 * A dead-letter sink writing one JSON object per line
 * (`{source, line, raw, reasons}`) to a local file. `write` resolves once the
 * file stream accepts more data (waits for `drain`: backpressure reaches the
 * validator). The file is opened on the first write, so a run without
 * rejects leaves no file (the first write resolves once it exists, and
 * rejects when it cannot be created); `close` flushes and closes it. Writing after
 * `close` rejects with `PipelineError` `DEAD_LETTER_CLOSED`.
 */
export function fileDeadLetter(options: FileDeadLetterOptions): DeadLetterSink {
  const { path, signal } = parseOptions(fileDeadLetterOptionsSchema, options, 'fileDeadLetter');
  let stream: WriteStream | undefined;
  let closed = false;
  let discarded: Promise<void> | undefined;
  // Stops a write waiting for `drain` and removes what was written.
  const discard = () => {
    const open = stream;
    discarded ??= (async () => {
      if (open !== undefined) {
        open.destroy();
        await finished(open).catch(() => undefined);
        await rm(path, { force: true });
      }
    })();
  };
  signal?.addEventListener('abort', discard, { once: true });
  return {
    async write(entries) {
      if (closed) {
        throw new PipelineError('DEAD_LETTER_CLOSED', `fileDeadLetter(${path}): write after close`);
      }
      signal?.throwIfAborted();
      if (entries.length === 0) return;
      if (stream === undefined) {
        stream = createWriteStream(path, { flags: 'w' });
        // The first write resolves once the file exists, and rejects when it cannot be opened.
        await once(stream, 'ready', signal === undefined ? {} : { signal }).catch((error) => {
          throw signal?.aborted ? signal.reason : error;
        });
      }
      let text = '';
      for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
      if (stream.write(text)) return;
      await once(stream, 'drain', signal === undefined ? {} : { signal }).catch((error) => {
        throw signal?.aborted ? signal.reason : error;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      signal?.removeEventListener('abort', discard);
      if (signal?.aborted) discard();
      if (discarded !== undefined) return discarded;
      if (stream === undefined) return;
      stream.end();
      await finished(stream);
    },
  };
}
