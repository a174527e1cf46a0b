/** The caller's side of a pool thread's dead-letter channel. */
import type { MessagePort } from 'node:worker_threads';
import type { DeadLetterSink } from '../../dead-letter/dead-letter.js';
import { DEAD_LETTER_ACK, type DeadLetterMessage } from './pool-protocol.js';

/**
 * Writes the dead-letter batches a thread posts on `port` to `sink`, one at a
 * time and in order, acking each. `done()` resolves once the thread's end
 * marker arrived (or the port closed: the thread exited or the task was
 * given up) and every batch was written, or rejects with the sink's first
 * error — it never stays pending on a thread that is gone.
 */
export function relayDeadLetters(
  port: MessagePort,
  sink: DeadLetterSink,
): { done(): Promise<void>; drain(): Promise<void> } {
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
    // The batches received so far are written (never rejects): a failed task
    // leaves no write running behind the caller's back.
    drain: () => writes,
  };
}
