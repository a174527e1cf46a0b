/**
 * The caller's side of a task's `deadLetterPort`: dead-letter batches
 * written in order and acked, progress beats passed on, and an end that
 * always comes — on the thread's end marker or when the port closes.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DeadLetterSink } from '../../dead-letter/dead-letter.js';
import { DEAD_LETTER_ACK, type DeadLetterMessage } from './pool-protocol.js';

/** A running relay. */
export interface DeadLetterRelay {
  /**
   * Resolves once the thread's end marker arrived (or the port closed: the
   * thread exited or the task was given up) and every batch was written, or
   * rejects with the sink's first error — never pending on a thread that is gone.
   */
  done(): Promise<void>;
  /** The batches received so far are written (never rejects). */
  drain(): Promise<void>;
}

/**
 * Writes the dead-letter batches a thread posts on `port` to `sink`, one at
 * a time and in order, acking each; `onProgress` hears the thread's beats,
 * `onStarted` that the thread took the task up.
 */
export function relayDeadLetters(
  port: MessagePort,
  sink: DeadLetterSink,
  onProgress: (() => void) | undefined,
  onStarted: () => void,
): DeadLetterRelay {
  let writes = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let ended!: () => void;
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  // A thread that exits or crashes closes its side: nothing more will come.
  port.once('close', () => ended());
  port.on('message', (message: DeadLetterMessage) => {
    if ('end' in message) {
      ended();
      return;
    }
    if ('started' in message) {
      onStarted();
      return;
    }
    if ('progress' in message) {
      onProgress?.();
      return;
    }
    onProgress?.();
    writes = writes.then(async () => {
      try {
        if (failure === undefined) await sink.write(message.entries);
      } catch (error) {
        failure = { error };
      }
      port.postMessage(DEAD_LETTER_ACK);
    });
  });
  return {
    async done() {
      await end;
      await writes;
      if (failure !== undefined) throw failure.error;
    },
    // A failed task leaves no write running behind the caller's back.
    drain: () => writes,
  };
}
