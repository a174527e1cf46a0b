import type { SourceRef } from './types.js';

/** Counters of one pipeline stage. */
export interface StageMetrics {
  /** Stage name (given to `through`, or `stage<N>`). */
  readonly name: string;
  /** Chunks received (batches, or byte chunks for byte stages). */
  chunksIn: number;
  /** Records received (batch lengths; bytes for byte chunks). */
  recordsIn: number;
  chunksOut: number;
  /** Records emitted (batch lengths; bytes for byte chunks). */
  recordsOut: number;
}

/** Row counts of one source object. */
export interface SourceCounts {
  rowsRead: number;
  rowsAggregated: number;
  rowsRejected: number;
  /** Rejected rows by their primary (first) reason. */
  rejectedByReason: Record<string, number>;
}

/** The summary every run ends with (SPEC section 8). */
export interface RunSummary {
  /** Rows emitted by the parsers. */
  readonly rowsRead: number;
  /** Rows folded into the KPI state (or a reference table). */
  readonly rowsAggregated: number;
  /** Rows sent to the dead letter. */
  readonly rowsRejected: number;
  /**
   * Rejected rows by primary (first) reason; the values sum to `rowsRejected`.
   */
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** Counts per source id. */
  readonly sources: Readonly<Record<string, SourceCounts>>;
  /** Raw bytes read from the sources (before decompression). */
  readonly bytesRead: number;
  readonly stages: readonly StageMetrics[];
  readonly durationMs: number;
  /** `rowsRead` per second of `durationMs`. */
  readonly rowsPerSecond: number;
  /** Highest resident set size sampled during the run. */
  readonly peakRssBytes: number;
}

/** The least time between two RSS samples of one {@link RunMetrics}, ms. */
const RSS_SAMPLE_MS = 20;

/**
 * Mutable counters shared by the stages of one run. Parsers call
 * {@link RunMetrics.addRead}, the validator {@link RunMetrics.addRejected},
 * the aggregating sink {@link RunMetrics.addAggregated}; the
 * pipeline records per-stage counts. Cheap: a few additions per batch.
 */
export class RunMetrics {
  rowsRead = 0;
  rowsAggregated = 0;
  rowsRejected = 0;
  bytesRead = 0;
  peakRssBytes = 0;
  readonly rejectedByReason: Record<string, number> = {};
  readonly sources = new Map<string, SourceCounts>();
  readonly stages: StageMetrics[] = [];
  #startedAt = performance.now();
  #endedAt: number | undefined;
  #sampledAt = Number.NEGATIVE_INFINITY;

  constructor() {
    this.sampleMemory();
  }

  /** Restarts the clock (the pipeline calls this when a run starts). */
  start(): void {
    this.#startedAt = performance.now();
    this.#endedAt = undefined;
    this.sampleMemory();
  }

  /** Stops the clock (and samples the RSS once more, however recent the last sample). */
  stop(): void {
    this.#endedAt = performance.now();
    this.#sampledAt = Number.NEGATIVE_INFINITY;
    this.sampleMemory();
  }

  /**
   * Samples `process.memoryUsage.rss()` into `peakRssBytes`, at most every
   * {@link RSS_SAMPLE_MS} ms: the pipeline calls this per batch, and reading
   * the RSS is a system call (tens of µs, as much as a batch of rows costs).
   */
  sampleMemory(): void {
    const now = performance.now();
    if (now - this.#sampledAt < RSS_SAMPLE_MS) return;
    this.#sampledAt = now;
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRssBytes) this.peakRssBytes = rss;
  }

  /** Counts for one source, created on first use. */
  source(source: SourceRef): SourceCounts {
    let counts = this.sources.get(source.id);
    if (counts === undefined) {
      counts = { rowsRead: 0, rowsAggregated: 0, rowsRejected: 0, rejectedByReason: {} };
      this.sources.set(source.id, counts);
    }
    return counts;
  }

  /** Records `count` rows read from `source`. */
  addRead(source: SourceRef, count: number): void {
    this.rowsRead += count;
    this.source(source).rowsRead += count;
  }

  /**
   * Adds the counts of one source measured elsewhere (e.g. on a worker
   * thread): rows read, aggregated, and rejected by reason.
   */
  addCounts(source: SourceRef, counts: SourceCounts): void {
    this.addRead(source, counts.rowsRead);
    this.addAggregated(source, counts.rowsAggregated);
    const mine = this.source(source);
    for (const [reason, n] of Object.entries(counts.rejectedByReason)) {
      this.rowsRejected += n;
      this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + n;
      mine.rowsRejected += n;
      mine.rejectedByReason[reason] = (mine.rejectedByReason[reason] ?? 0) + n;
    }
  }

  /** Adds per-stage counters measured elsewhere (e.g. a worker thread's pipeline). */
  addStages(stages: readonly StageMetrics[]): void {
    for (const other of stages) {
      const mine = this.stage(other.name);
      mine.chunksIn += other.chunksIn;
      mine.recordsIn += other.recordsIn;
      mine.chunksOut += other.chunksOut;
      mine.recordsOut += other.recordsOut;
    }
  }

  /** Records raw bytes read. */
  addBytes(count: number): void {
    this.bytesRead += count;
  }

  /** Records one rejected row under its primary reason. */
  addRejected(source: SourceRef, reason: string): void {
    this.rowsRejected++;
    this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + 1;
    const counts = this.source(source);
    counts.rowsRejected++;
    counts.rejectedByReason[reason] = (counts.rejectedByReason[reason] ?? 0) + 1;
  }

  /** Records `count` rows of `source` as aggregated. */
  addAggregated(source: SourceRef, count: number): void {
    this.rowsAggregated += count;
    this.source(source).rowsAggregated += count;
  }

  /** Registers (or returns) the counters of a named stage. */
  stage(name: string): StageMetrics {
    let stage = this.stages.find((s) => s.name === name);
    if (stage === undefined) {
      stage = { name, chunksIn: 0, recordsIn: 0, chunksOut: 0, recordsOut: 0 };
      this.stages.push(stage);
    }
    return stage;
  }

  /** A snapshot of the counters as a {@link RunSummary}. */
  summary(): RunSummary {
    const durationMs = (this.#endedAt ?? performance.now()) - this.#startedAt;
    const sources: Record<string, SourceCounts> = {};
    for (const [id, c] of this.sources) {
      sources[id] = { ...c, rejectedByReason: { ...c.rejectedByReason } };
    }
    return {
      rowsRead: this.rowsRead,
      rowsAggregated: this.rowsAggregated,
      rowsRejected: this.rowsRejected,
      rejectedByReason: { ...this.rejectedByReason },
      sources,
      bytesRead: this.bytesRead,
      stages: this.stages.map((s) => ({ ...s })),
      durationMs,
      rowsPerSecond: durationMs > 0 ? (this.rowsRead * 1000) / durationMs : 0,
      peakRssBytes: this.peakRssBytes,
    };
  }
}

/** Creates an empty {@link RunMetrics}. */
export function createMetrics(): RunMetrics {
  return new RunMetrics();
}
