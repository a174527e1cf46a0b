/**
 * The capture slots of a run: at most `slots` objects are claimed and read
 * at once (protocol steps 0–3), whatever the number of objects whose
 * partials are being stored or whose dates are being committed or
 * archived, so the pool's threads never wait for a store or a commit; and
 * what is being captured right now (read or stored), for the date
 * committer to wait on (see `date-committer.ts`).
 */
import pLimit from 'p-limit';

/** A slot taken by {@link CaptureGate.enter}; calling either again does nothing. */
export interface CaptureSlot {
  /** The object is read: the slot goes to the next object while this one's partials are stored. */
  read(): void;
  /** The object is captured (or given up): frees the slot too if `read` was not called. */
  free(): void;
}

/** See the module docs. */
export interface CaptureGate {
  /** Resolves with a slot once one is free (FIFO). */
  enter(): Promise<CaptureSlot>;
  /** Settles once every capture that has entered by now is freed (later ones are not waited for). */
  settled(): Promise<void>;
}

/** Creates a {@link CaptureGate} of `slots` slots (p-limit's FIFO queue hands them out). */
export function createCaptureGate(slots: number): CaptureGate {
  const limit = pLimit(slots);
  const holding = new Set<Promise<void>>();
  return {
    enter: () =>
      new Promise<CaptureSlot>((granted) => {
        void limit(() => {
          let read!: () => void;
          let free!: () => void;
          const reading = new Promise<void>((resolve) => {
            read = resolve;
          });
          const freed = new Promise<void>((resolve) => {
            free = () => {
              read();
              resolve();
            };
          });
          holding.add(freed);
          void freed.then(() => holding.delete(freed));
          granted({ read, free });
          return reading;
        });
      }),
    settled: async () => {
      await Promise.all([...holding]);
    },
  };
}
