import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import type { DeadLetterSink } from './dead-letter.js';

/** Options of {@link fileDeadLetter}. */
export const fileDeadLetterOptionsSchema = z.object({
  /** Path of the NDJSON file to write; created (or truncated) on the first write. */
  path: z.string().min(1),
});

/** Options of {@link fileDeadLetter}. */
export type FileDeadLetterOptions = z.input<typeof fileDeadLetterOptionsSchema>;

/**
 * A dead-letter sink writing one JSON object per line
 * (`{source, line, raw, reasons}`) to a local file. `write` resolves once the
 * file stream accepts more data (waits for `drain`: backpressure reaches the
 * validator). The file is opened on the first write, so a run without
 * rejects leaves no file; `close` flushes and closes it.
 */
export function fileDeadLetter(options: FileDeadLetterOptions): DeadLetterSink {
  const { path } = parseOptions(fileDeadLetterOptionsSchema, options, 'fileDeadLetter');
  let stream: WriteStream | undefined;
  let closed = false;
  return {
    async write(entries) {
      if (closed) throw new Error(`fileDeadLetter(${path}): write after close`);
      if (entries.length === 0) return;
      stream ??= createWriteStream(path, { flags: 'w' });
      let text = '';
      for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (stream === undefined) return;
      stream.end();
      await finished(stream);
    },
  };
}
