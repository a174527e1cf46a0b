/**
 * Progress of a run on an interactive terminal (cli-progress, on stderr):
 * first a line for the reference data once it is loaded, then a bar of
 * stream objects with rows, rows/s and ETA. Nothing when stderr is not a
 * terminal (the logs say the same).
 */
import cliProgress from 'cli-progress';

/** What the reference step loaded. */
export interface ReferenceInfo {
  readonly tracks: number;
  readonly genres: number;
  readonly users: number;
  readonly rowsRead: number;
  /** Both tables kept from the previous `watch` pass (nothing read). */
  readonly reused?: boolean;
  readonly durationMs: number;
}

/** Progress of one run. */
export interface Progress {
  /** The reference data is loaded: prints its line and starts the bar. */
  reference(info: ReferenceInfo): void;
  /** Sets or raises the stream objects (and their bytes, when known) expected. */
  setTotal(objects: number, bytes?: number): void;
  /** Stream totals so far: objects done (committed, quarantined or failed), rows, bytes. */
  update(objects: number, rowsRead: number, bytesRead: number): void;
  stop(): void;
}

const NONE: Progress = {
  reference: () => {},
  setTotal: () => {},
  update: () => {},
  stop: () => {},
};

const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** `75 s` → `1m15s`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The state the bar shows. */
export interface ProgressState {
  readonly objects: number;
  readonly totalObjects: number;
  readonly rowsRead: number;
  readonly bytesRead: number;
  /** 0: unknown. */
  readonly totalBytes: number;
  /** Since the stream objects started (after the reference data). */
  readonly elapsedMs: number;
}

/** Seconds left: by bytes when sizes are known, else by objects; undefined before any progress. */
export function eta(s: ProgressState): number | undefined {
  const elapsed = s.elapsedMs / 1000;
  if (s.totalBytes > 0 && s.bytesRead > 0) {
    return (elapsed * Math.max(0, s.totalBytes - s.bytesRead)) / s.bytesRead;
  }
  if (s.objects > 0 && s.totalObjects > 0) {
    return (elapsed * Math.max(0, s.totalObjects - s.objects)) / s.objects;
  }
  return undefined;
}

/** The text after the bar: `3/8 objects | 1,234 rows | 617 rows/s | ETA 4s`. */
export function progressText(s: ProgressState): string {
  const rate = s.elapsedMs > 0 ? (s.rowsRead * 1000) / s.elapsedMs : 0;
  const left = eta(s);
  return `${s.objects}/${s.totalObjects} objects | ${n(s.rowsRead)} rows | ${n(rate)} rows/s | ETA ${left === undefined ? '…' : duration(left)}`;
}

/** The reference step's own line. */
export function referenceText(r: ReferenceInfo): string {
  if (r.reused === true) {
    return `reference data unchanged: ${n(r.tracks)} tracks in ${n(r.genres)} genres, ${n(r.users)} users`;
  }
  return `reference data loaded: ${n(r.tracks)} tracks in ${n(r.genres)} genres, ${n(r.users)} users (${n(r.rowsRead)} rows, ${(r.durationMs / 1000).toFixed(1)} s)`;
}

/** A bar on `stream` when it is a terminal (default stderr), else a no-op. */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Progress {
  if (stream.isTTY !== true) return NONE;
  // What the last calls reported; `state()` adds the elapsed time.
  const seen = { objects: 0, totalObjects: 0, rowsRead: 0, bytesRead: 0, totalBytes: 0 };
  let startedAt = 0;
  let bar: cliProgress.SingleBar | undefined;
  const state = (): ProgressState => ({
    ...seen,
    totalObjects: Math.max(seen.totalObjects, seen.objects),
    elapsedMs: performance.now() - startedAt,
  });
  const format = (options: cliProgress.Options, params: cliProgress.Params) => {
    const width = options.barsize ?? 30;
    const done = Math.round(params.progress * width);
    const complete = options.barCompleteString ?? '█';
    const incomplete = options.barIncompleteString ?? '░';
    return ` ${complete.slice(0, done)}${incomplete.slice(0, width - done)} ${progressText(state())}`;
  };
  return {
    reference(info) {
      if (bar !== undefined) return;
      stream.write(`${referenceText(info)}\n`);
      startedAt = performance.now();
      bar = new cliProgress.SingleBar(
        { stream, format, hideCursor: true, clearOnComplete: false, barsize: 24 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(seen.totalObjects, 1), 0);
    },
    setTotal(count, bytes) {
      seen.totalObjects = Math.max(seen.totalObjects, count);
      if (bytes !== undefined) seen.totalBytes = Math.max(seen.totalBytes, bytes);
      bar?.setTotal(Math.max(seen.totalObjects, seen.objects, 1));
    },
    update(count, rows, bytes) {
      seen.objects = count;
      seen.rowsRead = rows;
      seen.bytesRead = bytes;
      bar?.setTotal(Math.max(seen.totalObjects, seen.objects, 1));
      bar?.update(seen.objects);
    },
    stop() {
      bar?.stop();
    },
  };
}
