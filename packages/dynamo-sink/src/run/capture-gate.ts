/**
 * The capture slots of a run: at most `slots` objects are claimed and read
 * at once (protocol steps 0–3), whatever the number of objects whose
 * partials are being stored or whose dates are being committed or
 * archived, so the pool's threads never wait for a store or a commit; and
 * which objects are being captured (read or stored), for the date
 * committer to wait on (see `date-committer.ts`).
 */
import pLimit from 'p-limit';

/** A slot taken by {@link CaptureGate.enter}; calling `read` or `free` again does nothing. */
export interface CaptureSlot {
  /** The object is read: the slot goes to the next object while this one's partials are stored. */
  read(): void;
  /** The object is captured (or given up): frees the slot too if `read` was not called. */
  free(): void;
  /**
   * The objects that had entered when this one was read (all so far until
   * then): what {@link CaptureGate.settled} waits for on its behalf.
   */
  readonly mark: number;
}

/** See the module docs. */
export interface CaptureGate {
  /** Resolves with a slot once one is free (FIFO). */
  enter(): Promise<CaptureSlot>;
  /**
   * Settles once every capture among the first `mark` to enter (default:
   * every one so far) is freed: objects read side by side with the one that
   * gave the mark, not those that entered after it was read.
   */
  settled(mark?: number): Promise<void>;
}

/** Creates a {@link CaptureGate} of `slots` slots (p-limit's FIFO queue hands them out). */
export function createCaptureGate(slots: number): CaptureGate {
  const limit = pLimit(slots);
  /** Captures not freed yet, by the order they entered in (1-based). */
  const holding = new Map<number, Promise<void>>();
  let entered = 0;
  return {
    enter: () =>
      new Promise<CaptureSlot>((granted) => {
        void limit(() => {
          const seq = ++entered;
          let mark = Number.POSITIVE_INFINITY;
          let release!: () => void;
          const reading = new Promise<void>((resolve) => {
            release = resolve;
          });
          let free!: () => void;
          const freed = new Promise<void>((resolve) => {
            free = resolve;
          });
          holding.set(seq, freed);
          void freed.then(() => holding.delete(seq));
          const read = () => {
            if (mark === Number.POSITIVE_INFINITY) mark = entered;
            release();
          };
          granted({
            read,
            free: () => {
              read();
              free();
            },
            get mark() {
              return mark;
            },
          });
          return reading;
        });
      }),
    settled: async (mark = entered) => {
      await Promise.all([...holding].filter(([seq]) => seq <= mark).map(([, p]) => p));
    },
  };
}
