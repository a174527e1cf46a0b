/**
 * The capture slots of a run: at most `slots` objects are claimed and read
 * at once (protocol steps 0–4), whatever the number of objects whose dates
 * are being committed or archived, so the pool's threads never wait for a
 * commit; and what is being captured right now, for the date committer to
 * wait on (see `date-committer.ts`).
 */
import pLimit from 'p-limit';

/** Frees a capture slot; calling it again does nothing. */
export type FreeSlot = () => void;

/** See the module docs. */
export interface CaptureGate {
  /** Resolves with the means to free a slot once one is taken (FIFO). */
  enter(): Promise<FreeSlot>;
  /** Settles once every capture holding a slot now has freed it (later ones are not waited for). */
  settled(): Promise<void>;
}

/** Creates a {@link CaptureGate} of `slots` slots (p-limit's FIFO queue hands them out). */
export function createCaptureGate(slots: number): CaptureGate {
  const limit = pLimit(slots);
  const holding = new Set<Promise<void>>();
  return {
    enter: () =>
      new Promise<FreeSlot>((granted) => {
        void limit(() => {
          let free!: FreeSlot;
          const freed = new Promise<void>((resolve) => {
            free = resolve;
          });
          holding.add(freed);
          void freed.then(() => holding.delete(freed));
          granted(free);
          return freed;
        });
      }),
    settled: async () => {
      await Promise.all([...holding]);
    },
  };
}
