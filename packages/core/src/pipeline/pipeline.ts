/**
 * The pipeline builder: `pipeline(source).through(stage)….to(sink).run()`.
 * Async stages (parsers, decompression) are `node:stream/promises` function
 * stages; consecutive batch stages (validate, join…) and a batch sink
 * (aggregate, table builders) run in one loop per batch — the one place
 * where stages are fused. `run` resolves to what the sink returns and the
 * run summary with per-stage counts.
 */
import { pipeline as streamPipeline } from 'node:stream/promises';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import { RunMetrics, type RunSummary, type StageMetrics } from '../metrics.js';
import type { BatchSink, BatchStage, StageContext } from '../types.js';
import { type FusedStep, fuse } from './internal/fuse.js';

export { toStreamStage } from './internal/fuse.js';

/** What the pipeline hands every stage and the sink: the signal and the run's metrics. */
export interface PipelineContext extends StageContext {
  readonly metrics: RunMetrics;
}

/** An async stage over chunks of any type (byte chunks, batches). */
export type ChunkStage<In, Out> = (
  source: AsyncIterable<In>,
  context: PipelineContext,
) => AsyncIterable<Out>;

/** An async sink: consumes every chunk and resolves to its value (e.g. a writer's result). */
export type Sink<In, R = void> = (
  source: AsyncIterable<In>,
  context: PipelineContext,
) => Promise<R>;

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
  /** Counters to fill (and keep filling across runs); default a fresh {@link RunMetrics}. */
  metrics: z.instanceof(RunMetrics).optional(),
});

/** Options of {@link RunnablePipeline.run}. */
export type RunOptions = z.input<typeof runOptionsSchema>;

/** What {@link RunnablePipeline.run} resolves to. */
export interface PipelineResult<R> {
  /** What the sink returned. */
  readonly value: R;
  /** Counters of the run, with one entry per stage in `stages`. */
  readonly summary: RunSummary;
}

type AnyStage =
  | { readonly kind: 'async'; readonly name: string; readonly stage: ChunkStage<unknown, unknown> }
  | { readonly kind: 'batch'; readonly stage: BatchStage<unknown, unknown> };
type AnySink =
  | { readonly kind: 'async'; readonly name: string; readonly sink: Sink<unknown, unknown> }
  | { readonly kind: 'batch'; readonly sink: BatchSink<unknown, unknown> };

function sizeOf(chunk: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  const length = (chunk as { length?: unknown } | null)?.length;
  return typeof length === 'number' ? length : 1;
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

/** Runs fused batch steps over an async source as one function stage. */
function fusedStage(steps: readonly FusedStep[]) {
  return async function* fused(source: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    const run = fuse(steps);
    for await (const batch of source) {
      const out = run.process(batch);
      const flushed = run.flush();
      if (flushed !== undefined) await flushed;
      if (out !== undefined) yield out;
    }
  };
}

/** A pipeline with a sink, ready to {@link RunnablePipeline.run}. */
export class RunnablePipeline<R> {
  readonly #source: PipelineSource<unknown>;
  readonly #stages: readonly AnyStage[];
  readonly #sink: AnySink;

  /** @internal Use {@link pipeline}. */
  constructor(source: PipelineSource<unknown>, stages: readonly AnyStage[], sink: AnySink) {
    this.#source = source;
    this.#stages = stages;
    this.#sink = sink;
  }

  /**
   * Runs source → stages → sink on `node:stream/promises` `pipeline`.
   * Backpressure is pull-based; a batch stage's pending writes (dead
   * letters) are awaited before the next batch. The first error wins: `run`
   * rejects with it and every stage is finished (generators are returned,
   * so `finally` blocks run and file handles close). Aborting `signal` does
   * the same with an `AbortError`.
   */
  async run(options: RunOptions = {}): Promise<PipelineResult<R>> {
    const { signal, metrics: given } = parseOptions(runOptionsSchema, options, 'pipeline.run');
    const metrics = given ?? new RunMetrics();
    if (given === undefined) metrics.start();
    signal?.throwIfAborted();
    const context: PipelineContext = { signal: signal ?? new AbortController().signal, metrics };
    const source = this.#source;
    const head = typeof source === 'function' ? () => source(context) : source;
    const parts: unknown[] = [];
    let steps: FusedStep[] = [];
    const endSteps = () => {
      if (steps.length > 0) parts.push(fusedStage(steps));
      steps = [];
    };
    for (const entry of this.#stages) {
      if (entry.kind === 'batch') {
        const counters = metrics.stage(entry.stage.name);
        steps.push({ step: entry.stage.open(context), counters });
        continue;
      }
      endSteps();
      const counters = metrics.stage(entry.name);
      const stage = entry.stage;
      parts.push((input: AsyncIterable<unknown>) =>
        countOut(stage(countIn(input, counters), context), counters, metrics),
      );
    }
    let tail: (input: AsyncIterable<unknown>) => Promise<unknown>;
    const sink = this.#sink;
    if (sink.kind === 'batch') {
      const counters = metrics.stage(sink.sink.name);
      const step = sink.sink.open(context);
      const run = fuse([...steps, { step, counters }]);
      steps = [];
      tail = async (input) => {
        for await (const batch of input) {
          context.signal.throwIfAborted();
          run.process(batch);
          const flushed = run.flush();
          if (flushed !== undefined) await flushed;
        }
        metrics.sampleMemory();
        return step.finish();
      };
    } else {
      endSteps();
      const counters = metrics.stage(sink.name);
      const fn = sink.sink;
      tail = (input) => fn(countIn(input, counters), context);
    }
    // Node's typings cannot express a variadic chain of function stages.
    const runAll = streamPipeline as unknown as (...args: unknown[]) => Promise<unknown>;
    try {
      const value = (await runAll(
        head,
        ...parts,
        tail,
        signal === undefined ? {} : { signal },
      )) as R;
      return { value, summary: metrics.summary() };
    } finally {
      if (given === undefined) metrics.stop();
    }
  }
}

/** A pipeline under construction; `through` adds a stage, `to` the sink. */
export class PipelineBuilder<T> {
  readonly #source: PipelineSource<unknown>;
  readonly #stages: readonly AnyStage[];

  /** @internal Use {@link pipeline}. */
  constructor(source: PipelineSource<unknown>, stages: readonly AnyStage[]) {
    this.#source = source;
    this.#stages = stages;
  }

  /**
   * Appends a stage: a batch stage (`validateRows`, `joinSongs`…; labelled
   * by its `name`) or an async function stage (`parseFile`…; labelled
   * `name`, else the function's name, else `stage<N>`).
   */
  through<U>(stage: BatchStage<T, U> | ChunkStage<T, U>, name?: string): PipelineBuilder<U> {
    const entry: AnyStage =
      typeof stage === 'function'
        ? {
            kind: 'async',
            name: name ?? (stage.name || `stage${this.#stages.length + 1}`),
            stage: stage as ChunkStage<unknown, unknown>,
          }
        : { kind: 'batch', stage: stage as BatchStage<unknown, unknown> };
    return new PipelineBuilder<U>(this.#source, [...this.#stages, entry]);
  }

  /** Ends the pipeline with a sink: a batch sink (`aggregateDailyKpis`…) or an async one. */
  to<R>(sink: BatchSink<T, R> | Sink<T, R>, name?: string): RunnablePipeline<R> {
    const entry: AnySink =
      typeof sink === 'function'
        ? { kind: 'async', name: name ?? (sink.name || 'sink'), sink: sink as Sink<unknown> }
        : { kind: 'batch', sink: sink as BatchSink<unknown, unknown> };
    return new RunnablePipeline<R>(this.#source, this.#stages, entry);
  }
}

/**
 * Starts a typed pipeline: `pipeline(source).through(a).through(b).to(sink).run({ signal })`.
 * Chunk types flow from stage to stage and are checked at compile time.
 */
export function pipeline<T>(source: PipelineSource<T>): PipelineBuilder<T> {
  return new PipelineBuilder<T>(source as PipelineSource<unknown>, []);
}
