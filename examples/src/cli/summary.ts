/**
 * The run summary the CLI prints and writes with `--summary-json`: one
 * shape for `run`, `watch` (per pass) and `local`.
 */
import { writeFile } from 'node:fs/promises';
import type { SongsTableStats, UsersTableStats } from '@streamkpi/core';
import type { RunKpisSummary } from '@streamkpi/dynamo-sink';
import type { LocalRunPhases, LocalRunSummary } from '../local-runner.js';

/** The summary of one CLI run (SPEC section 8). */
export interface CliSummary {
  readonly command: 'run' | 'watch' | 'local';
  /** False when any object, date or file failed and is left for a retry (quarantined files do not count). */
  readonly ok: boolean;
  /** Stream rows parsed; `rowsRead === rowsAggregated + rowsRejected`. */
  readonly rowsRead: number;
  readonly rowsAggregated: number;
  readonly rowsRejected: number;
  /** Rejected stream rows by primary reason. */
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** Stream objects (files, for `local`) by outcome; `claimed` and `archived` are 0 for `local`. */
  readonly objects: RunKpisSummary['objects'];
  /** Landing (Last-Modified) → committed, over the objects read (`run`/`watch`; undefined for `local`). */
  readonly landingToCommitted?: {
    readonly count: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
  };
  /** Reference data rows read / rejected, and whether the lookup tables came from `--reference-cache`. */
  readonly reference: {
    readonly songsRead: number;
    readonly songsRejected: number;
    readonly usersRead: number;
    readonly usersRejected: number;
    /** The lookup tables were read back from `--reference-cache` (the counts are their build's). */
    readonly cacheHit: boolean;
  };
  /** Lookup tables: songs (tracks, track × genre pairs, genres), users, approximate heap bytes. */
  readonly lookupTables: {
    readonly tracks: number;
    readonly trackGenrePairs: number;
    readonly genres: number;
    readonly songsBytes: number;
    readonly users: number;
    readonly usersBytes: number;
  };
  /** KPI items written to DynamoDB (`local`: lines written). */
  readonly itemsWritten: number;
  /** Items not written because the table already held them at a newer version. */
  readonly itemsStale: number;
  /** Dates committed (or present in the output). */
  readonly dates: readonly string[];
  /** SDK-level retries over all AWS calls (0 for `local`). */
  readonly retries: number;
  readonly durationMs: number;
  /** `rowsRead` per second of `durationMs`. */
  readonly rowsPerSecond: number;
  readonly peakRssBytes: number;
  /** Failed objects/files (and, for `run`, dates) with their error, for the log and the JSON. */
  readonly failures: readonly {
    readonly object: string;
    readonly date?: string;
    readonly error: string;
  }[];
  /** Quarantined objects/files (moved to `rejected/`; for `local`, left out) with the reason. */
  readonly quarantined: readonly { readonly object: string; readonly reason: string }[];
  /** `local`: files of the dataset folders not read, with why (symlink, hidden, unknown_suffix). */
  readonly skippedFiles?: readonly { readonly file: string; readonly reason: string }[];
  /** `local`: where the run's time went (see `LocalRunSummary.phases`). */
  readonly phases?: LocalRunPhases;
}

/** The error's message only: class names mean nothing to an operator. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message || String(error);
  return String(error);
}

/** What a `runKpis` pass and a `runLocalKpis` run both report. */
type RunTotals = Pick<
  LocalRunSummary,
  'ok' | 'streams' | 'reference' | 'tables' | 'durationMs' | 'peakRssBytes'
>;

/** The row counts, duration, throughput and peak RSS of a run. */
function rowsAndTimes(s: RunTotals) {
  return {
    ok: s.ok,
    rowsRead: s.streams.rowsRead,
    rowsAggregated: s.streams.rowsAggregated,
    rowsRejected: s.streams.rowsRejected,
    rejectedByReason: s.streams.rejectedByReason,
    durationMs: Math.round(s.durationMs),
    rowsPerSecond: s.durationMs > 0 ? Math.round((s.streams.rowsRead * 1000) / s.durationMs) : 0,
    peakRssBytes: s.peakRssBytes,
  };
}

/** The reference rows read and rejected, and the lookup tables built from them (or read back). */
function referenceOf(s: RunTotals, cacheHit: boolean) {
  return {
    reference: {
      songsRead: s.reference.songs.rowsRead,
      songsRejected: s.reference.songs.rowsRejected,
      usersRead: s.reference.users.rowsRead,
      usersRejected: s.reference.users.rowsRejected,
      cacheHit,
    },
    lookupTables: tablesOf(s.tables),
  };
}

/** Builds the CLI summary of a `runKpis` pass. */
export function summaryOfRun(
  command: 'run' | 'watch',
  s: RunKpisSummary,
  retries: number,
): CliSummary {
  return {
    command,
    ...rowsAndTimes(s),
    objects: s.objects,
    landingToCommitted: {
      count: s.landingToCommitted.count,
      p50Ms: Math.round(s.landingToCommitted.p50Ms),
      p95Ms: Math.round(s.landingToCommitted.p95Ms),
    },
    ...referenceOf(s, s.reference.cacheHit),
    itemsWritten: s.itemsWritten,
    itemsStale: s.itemsStale,
    dates: s.dates.map((d) => d.date),
    retries,
    failures: s.failures.map((f) => ({
      object: f.key,
      ...(f.date === undefined ? {} : { date: f.date }),
      error: describe(f.error),
    })),
    quarantined: s.outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => ({ object: o.key, reason: describe(o.error) })),
  };
}

/** Builds the CLI summary of a `runLocalKpis` run. */
export function summaryOfLocal(
  s: LocalRunSummary,
  itemsWritten: number,
  dates: readonly string[],
): CliSummary {
  return {
    command: 'local',
    ...rowsAndTimes(s),
    objects: { ...s.files, skipped: s.skipped.length, claimed: 0, archived: 0 },
    ...referenceOf(s, s.phases.referenceCacheHit),
    itemsWritten,
    itemsStale: 0,
    dates,
    retries: 0,
    failures: s.outcomes
      .filter((o) => o.status === 'failed')
      .map((o) => ({ object: o.file, error: describe(o.error) })),
    quarantined: s.outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => ({ object: o.file, reason: describe(o.error) })),
    skippedFiles: s.skipped,
    phases: s.phases,
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/** The summary as an aligned two-column text table. */
export function formatSummary(s: CliSummary): string {
  const reasons = Object.entries(s.rejectedByReason)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([r, c]) => `${r} ${n(c)}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'status',
      s.ok
        ? s.objects.rejected > 0
          ? `ok (${s.objects.rejected} quarantined${s.command === 'local' ? ', left out' : ' to rejected/'})`
          : 'ok'
        : 'FINISHED WITH FAILURES (left for the next run)',
    ],
    ['rows read', n(s.rowsRead)],
    ['rows aggregated', n(s.rowsAggregated)],
    ['rows rejected', `${n(s.rowsRejected)}${reasons === '' ? '' : ` (${reasons})`}`],
    [
      'objects',
      `processed ${s.objects.processed}, skipped ${s.objects.skipped}, archived ${s.objects.archived}, rejected ${s.objects.rejected}, failed ${s.objects.failed}${s.objects.claimed > 0 ? `, left to other workers ${s.objects.claimed}` : ''}`,
    ],
    ...(s.landingToCommitted === undefined || s.landingToCommitted.count === 0
      ? []
      : [
          [
            'landing → committed',
            `p50 ${(s.landingToCommitted.p50Ms / 1000).toFixed(2)} s, p95 ${(s.landingToCommitted.p95Ms / 1000).toFixed(2)} s`,
          ] as [string, string],
        ]),
    [
      'reference rows',
      `songs ${n(s.reference.songsRead)} (${n(s.reference.songsRejected)} rejected), users ${n(s.reference.usersRead)} (${n(s.reference.usersRejected)} rejected)`,
    ],
    [
      'lookup tables',
      `${n(s.lookupTables.tracks)} tracks in ${n(s.lookupTables.trackGenrePairs)} track × genre pairs, ${n(s.lookupTables.genres)} genres (${mb(s.lookupTables.songsBytes)}); ${n(s.lookupTables.users)} users (${mb(s.lookupTables.usersBytes)})${s.reference.cacheHit ? '; from the reference cache' : ''}`,
    ],
    [
      'items written',
      `${n(s.itemsWritten)}${s.itemsStale > 0 ? ` (${n(s.itemsStale)} stale)` : ''}`,
    ],
    ['dates', s.dates.length === 0 ? '–' : `${s.dates.length} (${s.dates[0]} … ${s.dates.at(-1)})`],
    ['retries', n(s.retries)],
    ['duration', `${(s.durationMs / 1000).toFixed(2)} s`],
    ['throughput', `${n(s.rowsPerSecond)} rows/s`],
    ['peak RSS', `${Math.round(s.peakRssBytes / 2 ** 20)} MB`],
  ];
  for (const q of s.quarantined) rows.push(['quarantined', `${q.object}: ${q.reason}`]);
  for (const f of s.failures) {
    rows.push(['failed', `${f.object}${f.date === undefined ? '' : ` (${f.date})`}: ${f.error}`]);
  }
  for (const f of s.skippedFiles ?? []) rows.push(['skipped', `${f.file}: ${f.reason}`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/**
 * One line per `watch` pass: `2026-12-01 21:30:00Z pass 3: 2 committed,
 * 1 quarantined, 0 failed · 1,234 rows (5 rejected) · 2 dates · 0.8 s`.
 */
export function passLine(pass: number, s: CliSummary, at: Date): string {
  const when = at
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const o = s.objects;
  const seconds = `${(s.durationMs / 1000).toFixed(1)} s`;
  if (o.processed + o.skipped + o.rejected + o.failed === 0) {
    return `${when} pass ${pass}: nothing new (${seconds})\n`;
  }
  const rows = `${n(s.rowsRead)} rows${s.rowsRejected > 0 ? ` (${n(s.rowsRejected)} rejected)` : ''}`;
  const parts = [
    `${o.processed + o.skipped} committed, ${o.rejected} quarantined, ${o.failed} failed`,
    rows,
    `${s.dates.length} date${s.dates.length === 1 ? '' : 's'}`,
    seconds,
  ];
  const failures = [
    ...s.quarantined.map((q) => `\n  quarantined ${q.object}: ${q.reason}`),
    ...s.failures.map((f) => `\n  failed ${f.object}: ${f.error}`),
  ].join('');
  return `${when} pass ${pass}: ${parts.join(' · ')}${failures}\n`;
}

/** Writes the summary as pretty JSON. */
export async function writeSummaryJson(path: string, summary: CliSummary): Promise<void> {
  await writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
}

function tablesOf(t: {
  readonly songs: SongsTableStats;
  readonly users: UsersTableStats | undefined;
}): CliSummary['lookupTables'] {
  return {
    tracks: t.songs.tracks,
    trackGenrePairs: t.songs.pairs,
    genres: t.songs.genres,
    songsBytes: t.songs.approxBytes,
    users: t.users?.users ?? 0,
    usersBytes: t.users?.approxBytes ?? 0,
  };
}

/** Table sizes: MB, or KB below 0.1 MB (a bitmap users table is a few KiB). */
function mb(bytes: number): string {
  if (bytes < 0.1 * 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
