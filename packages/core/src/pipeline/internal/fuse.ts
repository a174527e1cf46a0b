/**
 * Fusion of batch stages: consecutive per-batch functions run one after the
 * other on each batch, in one loop, with their counters updated per batch.
 * Used by the pipeline builder and by {@link toStreamStage}.
 */
import type { StageMetrics } from '../../metrics.js';
import type { BatchStage, BatchStep, StageContext } from '../../types.js';

/** One opened batch stage and the counters it fills. */
export interface FusedStep {
  readonly step: Pick<BatchStep<unknown, unknown>, 'process' | 'flush'>;
  readonly counters: StageMetrics | undefined;
}

interface Sized {
  readonly length: number;
}

/**
 * The steps as one: `process` hands a batch through every step (stopping
 * at an empty one) and returns the last output, or undefined when a step
 * emptied it; `flush` flushes every step in order.
 */
export function fuse(steps: readonly FusedStep[]) {
  const n = steps.length;
  return {
    process(batch: unknown): unknown {
      let current = batch;
      for (let i = 0; i < n; i++) {
        const { step, counters } = steps[i]!;
        if (counters !== undefined) {
          counters.chunksIn++;
          counters.recordsIn += (current as Sized).length;
        }
        current = step.process(current);
        if (current === undefined) return undefined;
        const length = (current as Sized).length;
        if (counters !== undefined) {
          counters.chunksOut++;
          counters.recordsOut += length;
        }
        if (length === 0) return undefined;
      }
      return current;
    },
    flush(): Promise<void> | undefined {
      let chain: Promise<void> | undefined;
      for (let i = 0; i < n; i++) {
        const flush = steps[i]!.step.flush;
        if (flush === undefined) continue;
        const step = steps[i]!.step;
        chain = chain === undefined ? step.flush?.() : chain.then(() => step.flush?.());
      }
      return chain;
    },
  };
}

/**
 * A batch stage as a `node:stream/promises` function stage, so it also works
 * in a plain Node pipeline: `pipeline(source, toStreamStage(validateRows(o)), sink)`.
 */
export function toStreamStage<In, Out>(stage: BatchStage<In, Out>) {
  return async function* batchStage(
    source: AsyncIterable<In>,
    context: Partial<StageContext> = {},
  ): AsyncGenerator<Out> {
    const signal = context.signal ?? new AbortController().signal;
    const step = stage.open({ ...context, signal });
    for await (const batch of source) {
      signal.throwIfAborted();
      const out = step.process(batch);
      const flushed = step.flush?.();
      if (flushed !== undefined) await flushed;
      if ((out as Sized).length > 0) yield out;
    }
  };
}
