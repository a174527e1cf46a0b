import { pipeline as streamPipeline } from 'node:stream/promises';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import { RunMetrics, type RunSummary, type StageMetrics } from '../metrics.js';
import type { Batch, StageContext, ValidRow } from '../types.js';

/** What the pipeline hands every stage and the sink: the signal and the run's metrics. */
export interface PipelineContext extends StageContext {
  readonly metrics: RunMetrics;
}

/**
 * A stage over chunks of any type (usually {@link Batch}es; byte stages take
 * `Uint8Array` chunks). `Stage<In, Out>` from the record contract fits.
 */
export type ChunkStage<In, Out> = (
  source: AsyncIterable<In>,
  context: PipelineContext,
) => AsyncIterable<Out>;

/** The end of a pipeline: consumes every chunk; resolves when done. */
export type Sink<In> = (source: AsyncIterable<In>, context: PipelineContext) => Promise<void>;

/**
 * Where a pipeline starts: an (async) iterable, a `Readable`, or a function
 * of the context returning one (so the source gets the run's signal).
 */
export type PipelineSource<T> =
  | AsyncIterable<T>
  | Iterable<T>
  | ((context: PipelineContext) => AsyncIterable<T>);

/** Options of {@link RunnablePipeline.run}. */
export const runOptionsSchema = z.object({
  /** Cancels the run: every stage is destroyed and `run` rejects with an `AbortError`. */
  signal: z.instanceof(AbortSignal).optional(),
  /** Counters to fill; default a fresh {@link RunMetrics}. */
  metrics: z.instanceof(RunMetrics).optional(),
});

/** Options of {@link RunnablePipeline.run}. */
export type RunOptions = z.input<typeof runOptionsSchema>;

type AnyStage = (source: AsyncIterable<unknown>, context: StageContext) => AsyncIterable<unknown>;
interface NamedStage {
  readonly name: string;
  readonly stage: AnyStage;
}

function sizeOf(chunk: unknown): number {
  if (Array.isArray(chunk)) return chunk.length;
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 1;
}

async function* countIn<T>(source: AsyncIterable<T>, stage: StageMetrics): AsyncGenerator<T> {
  for await (const chunk of source) {
    stage.chunksIn++;
    stage.recordsIn += sizeOf(chunk);
    yield chunk;
  }
}

async function* countOut<T>(
  source: AsyncIterable<T>,
  stage: StageMetrics,
  metrics: RunMetrics,
): AsyncGenerator<T> {
  for await (const chunk of source) {
    stage.chunksOut++;
    stage.recordsOut += sizeOf(chunk);
    metrics.sampleMemory();
    yield chunk;
  }
}

/** A pipeline with a sink, ready to {@link RunnablePipeline.run}. */
export class RunnablePipeline {
  readonly #source: PipelineSource<unknown>;
  readonly #stages: readonly NamedStage[];
  readonly #sink: NamedStage & { readonly sink: Sink<unknown> };

  /** @internal Use {@link pipeline}. */
  constructor(
    source: PipelineSource<unknown>,
    stages: readonly NamedStage[],
    sink: NamedStage & { readonly sink: Sink<unknown> },
  ) {
    this.#source = source;
    this.#stages = stages;
    this.#sink = sink;
  }

  /**
   * Runs source → stages → sink on `node:stream/promises` `pipeline`.
   * Backpressure is pull-based: a stage runs only when the next one asks for
   * a chunk. The first error wins: `run` rejects with it and every stage is
   * finished (generators are returned, so `finally` blocks run and file
   * handles close). Aborting `signal` does the same with an `AbortError`.
   * Resolves with the {@link RunSummary}.
   */
  async run(options: RunOptions = {}): Promise<RunSummary> {
    const { signal, metrics: given } = parseOptions('pipeline.run', runOptionsSchema, options);
    const metrics = given ?? new RunMetrics();
    metrics.start();
    const withMetrics = (context: StageContext): PipelineContext => ({
      signal: context.signal,
      metrics,
    });
    const source = this.#source;
    const head =
      typeof source === 'function'
        ? (context: StageContext) => source(withMetrics(context))
        : source;
    const stages = this.#stages.map(({ name, stage }) => {
      const counters = metrics.stage(name);
      return (input: AsyncIterable<unknown>, context: StageContext) =>
        countOut(stage(countIn(input, counters), withMetrics(context)), counters, metrics);
    });
    const sinkCounters = metrics.stage(this.#sink.name);
    const sink = this.#sink.sink;
    const tail = (input: AsyncIterable<unknown>, context: StageContext) =>
      sink(countIn(input, sinkCounters), withMetrics(context));
    // Node's typings cannot express a variadic chain of function stages.
    const run = streamPipeline as unknown as (...args: unknown[]) => Promise<void>;
    try {
      await run(head, ...stages, tail, signal === undefined ? {} : { signal });
    } finally {
      metrics.stop();
    }
    return metrics.summary();
  }
}

/** A pipeline under construction; `through` adds a stage, `to` the sink. */
export class PipelineBuilder<T> {
  readonly #source: PipelineSource<unknown>;
  readonly #stages: readonly NamedStage[];

  /** @internal Use {@link pipeline}. */
  constructor(source: PipelineSource<unknown>, stages: readonly NamedStage[]) {
    this.#source = source;
    this.#stages = stages;
  }

  /**
   * Appends a stage. `name` labels its metrics (default: the function's
   * name, else `stage<N>`).
   */
  through<U>(stage: ChunkStage<T, U>, name?: string): PipelineBuilder<U> {
    const label = name ?? (stage.name || `stage${this.#stages.length + 1}`);
    return new PipelineBuilder<U>(this.#source, [
      ...this.#stages,
      { name: label, stage: stage as unknown as AnyStage },
    ]);
  }

  /** Ends the pipeline with a sink. */
  to(sink: Sink<T>, name?: string): RunnablePipeline {
    return new RunnablePipeline(this.#source, this.#stages, {
      name: name ?? (sink.name || 'sink'),
      stage: sink as unknown as AnyStage,
      sink: sink as Sink<unknown>,
    });
  }
}

/**
 * Starts a typed pipeline: `pipeline(source).through(a).through(b).to(sink).run({ signal })`.
 * Chunk types flow from stage to stage and are checked at compile time.
 */
export function pipeline<T>(source: PipelineSource<T>): PipelineBuilder<T> {
  return new PipelineBuilder<T>(source as PipelineSource<unknown>, []);
}

/**
 * A sink that counts valid rows into `metrics.addAggregated` per source and
 * drops them. It stands in for aggregation until that exists, so the run
 * summary's conservation `rowsRead = rowsAggregated + rowsRejected` holds.
 */
export function countRows<T>(): Sink<Batch<ValidRow<T>>> {
  return async function countRowsSink(source, { signal, metrics }) {
    for await (const batch of source) {
      signal.throwIfAborted();
      let i = 0;
      while (i < batch.length) {
        const src = batch[i]!.source;
        let j = i + 1;
        while (j < batch.length && batch[j]!.source === src) j++;
        metrics.addAggregated(src, j - i);
        i = j;
      }
    }
  };
}
