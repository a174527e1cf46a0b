/**
 * `kpis status` as text: pending objects, committed dates, quarantined
 * files, dead letters and the last runs, in aligned columns.
 */
import type { PipelineStatus, RunRecord } from '@streamkpi/dynamo-sink';

const n = (v: number) => v.toLocaleString('en-US');

/** Bytes as B, KB or MB. */
export function bytes(v: number): string {
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${(v / 1024 / 1024).toFixed(1)} MB`;
}

/** `2026-12-01T21:30:00.123Z` → `2026-12-01 21:30:00Z`. */
export function shortTime(iso: string | undefined): string {
  if (iso === undefined || Number.isNaN(Date.parse(iso))) return '–';
  return new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function table(rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] {
  const widths =
    rows[0]?.map((_, c) => Math.max(...rows.map((r) => Array.from(r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => {
        const pad = ' '.repeat((widths[c] ?? 0) - Array.from(cell).length);
        if (c === r.length - 1 && !right.has(c)) return cell;
        return right.has(c) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

function runLine(r: RunRecord): string[] {
  const o = r.objects;
  return [
    shortTime(r.startedAt),
    r.command,
    r.ok ? 'ok' : 'FAILED',
    n(o.committed.count),
    n(o.quarantined.count),
    n(o.failed.count),
    n(r.rows.read),
    `${(r.durations.totalMs / 1000).toFixed(1)} s`,
  ];
}

/** The status as text (ends with a newline). */
export function formatStatus(s: PipelineStatus): string {
  const out: string[] = [];
  out.push(
    `pipeline s3://${s.bucket}/${s.prefix} → table ${s.tableName} (checked ${shortTime(s.checkedAt)})`,
    '',
  );
  const p = s.pending;
  const oldest = p.objects[0];
  out.push(
    `pending      ${n(p.count)} stream object${p.count === 1 ? '' : 's'} (${bytes(p.bytes)})` +
      (oldest === undefined
        ? ''
        : `, oldest ${oldest.key} landed ${shortTime(oldest.lastModified)}`),
  );
  for (const o of p.objects.slice(1)) out.push(`               ${o.key} (${bytes(o.size)})`);
  if (p.count > p.objects.length && p.objects.length > 0) {
    out.push(`               … and ${n(p.count - p.objects.length)} more`);
  }
  out.push('');
  if (s.dates.length === 0) {
    out.push('committed    no dates yet');
  } else {
    out.push(`committed    ${n(s.dates.length)} date${s.dates.length === 1 ? '' : 's'}`);
    const rows = [
      ['  date', 'version', 'items', 'last commit'],
      ...s.dates.map((d) => [`  ${d.date}`, n(d.version), n(d.items), shortTime(d.lastCommitAt)]),
    ];
    out.push(...table(rows, new Set([1, 2])));
  }
  out.push('');
  const q = s.quarantined;
  out.push(`quarantined  ${n(q.count)} file${q.count === 1 ? '' : 's'} in rejected/`);
  for (const f of q.files) {
    const why = f.reason === undefined ? '' : `: ${f.reason}`;
    out.push(`  ${f.key} at ${shortTime(f.rejectedAt)}${why}`);
  }
  if (q.count > q.files.length && q.files.length > 0) {
    out.push(`  … and ${n(q.count - q.files.length)} more`);
  }
  out.push('');
  const d = s.deadLetter;
  out.push(
    `dead letter  ${n(d.objects)} object${d.objects === 1 ? '' : 's'} (${bytes(d.bytes)}) for ${n(d.sources)} source file${d.sources === 1 ? '' : 's'}`,
  );
  out.push('');
  if (s.runs.length === 0) {
    out.push('last runs    none recorded');
  } else {
    out.push(`last runs    ${s.runs.length} newest`);
    const rows = [
      ['  started', 'command', 'result', 'committed', 'quarantined', 'failed', 'rows', 'duration'],
      ...s.runs.map((r) => {
        const [first, ...rest] = runLine(r);
        return [`  ${first}`, ...rest];
      }),
    ];
    out.push(...table(rows, new Set([3, 4, 5, 6, 7])));
    const failures = s.runs[0]?.failures ?? [];
    for (const f of failures.slice(0, 10)) {
      out.push(`  last run failed at ${f.step} ${f.key ?? f.date ?? ''}: ${f.message}`);
    }
  }
  return `${out.join('\n')}\n`;
}
