/**
 * The memory-flatness figures of the benchmark (peak RSS at 50M rows against
 * peak RSS at 5M rows, same days, same users). Pure functions,
 * so the report's arithmetic and wording are unit-tested without a run.
 */

/** The largest allowed ratio of a larger size's peak RSS to the base's. */
export const RSS_FLATNESS_TARGET = 1.1;

/** The size the issue measures against, when it ran. */
export const RSS_PREFERRED_BASE_ROWS = 5_000_000;

/** The median peak RSS of `kpis local` at one dataset size. */
export interface RssPoint {
  readonly rows: number;
  /** `undefined` when the RSS probe reported nothing. */
  readonly peakRssMb: number | undefined;
  readonly wallMs: number;
}

/** One size of {@link RssFlatness}. */
export interface RssFlatnessRow {
  readonly rows: number;
  /** Median peak RSS, MB (2^20 bytes), rounded to 0.1. */
  readonly mb: number;
  /** `mb / baseMb`, rounded to 0.01. */
  readonly ratio: number;
  /** Median wall time, seconds, rounded to 0.01. */
  readonly wallS: number;
}

/** Peak RSS by size relative to a base size, and whether the target holds. */
export interface RssFlatness {
  readonly baseRows: number;
  readonly baseMb: number;
  readonly target: number;
  /** Every measured size, ascending. */
  readonly rows: readonly RssFlatnessRow[];
  /**
   * True when every size above the base is within `target`; `undefined`
   * when no size above the base was measured (nothing to check).
   */
  readonly holds: boolean | undefined;
}

const round = (v: number, places: number) => Number(v.toFixed(places));

/**
 * Computes the flatness figures from `kpis local`'s medians. The base is
 * {@link RSS_PREFERRED_BASE_ROWS} when it is among `baseSizes` (the `--rows`
 * sizes) and was measured, else the largest measured of `baseSizes`.
 * Returns `undefined` when no base size has a peak RSS.
 */
export function rssFlatness(
  points: readonly RssPoint[],
  baseSizes: readonly number[],
  target: number = RSS_FLATNESS_TARGET,
): RssFlatness | undefined {
  const measured = points
    .filter((p): p is RssPoint & { peakRssMb: number } => p.peakRssMb !== undefined)
    .sort((a, b) => a.rows - b.rows);
  const bases = measured.filter((p) => baseSizes.includes(p.rows));
  const base = bases.find((p) => p.rows === RSS_PREFERRED_BASE_ROWS) ?? bases.at(-1);
  if (base === undefined) return undefined;
  const rows = measured.map((p) => ({
    rows: p.rows,
    mb: round(p.peakRssMb, 1),
    ratio: round(p.peakRssMb / base.peakRssMb, 2),
    wallS: round(p.wallMs / 1000, 2),
  }));
  const checked = measured.filter((p) => p.rows > base.rows);
  return {
    baseRows: base.rows,
    baseMb: round(base.peakRssMb, 1),
    target,
    rows,
    holds:
      checked.length === 0
        ? undefined
        : checked.every((p) => p.peakRssMb / base.peakRssMb <= target),
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * The report's "Memory vs rows" section as markdown lines. `kpiCheck` is the
 * sentence saying how the KPIs at the extra sizes were checked.
 */
export function formatRssFlatness(flatness: RssFlatness | undefined, kpiCheck: string): string[] {
  const lines = ['## Memory vs rows (`kpis local`)', ''];
  if (flatness === undefined) {
    lines.push(
      '`kpis local` has no peak RSS at any `--rows` size, so there is no base to compare with.',
      '',
    );
    return lines;
  }
  const { baseRows, target } = flatness;
  lines.push(
    `Same files, days, users and seed; only the rows per file grow. Ratio = median peak RSS / median peak RSS at ${n(baseRows)} rows.`,
    '',
    '| stream rows | peak RSS (MB) | ratio | wall (s) |',
    '|---:|---:|---:|---:|',
  );
  for (const r of flatness.rows) {
    lines.push(
      `| ${n(r.rows)} | ${Math.round(r.mb)} | ${r.ratio.toFixed(2)}× | ${r.wallS.toFixed(2)} |`,
    );
  }
  lines.push('');
  const above = flatness.rows.filter((r) => r.rows > baseRows);
  const worst = above.reduce<RssFlatnessRow | undefined>(
    (w, r) => (w === undefined || r.ratio > w.ratio ? r : w),
    undefined,
  );
  if (flatness.holds === undefined || worst === undefined) {
    lines.push(
      `Target (peak RSS ≤ ${target}× the ${n(baseRows)}-row peak at larger sizes): not checked, no size above ${n(baseRows)} rows ran.`,
    );
  } else {
    lines.push(
      `Target (peak RSS ≤ ${target}× the ${n(baseRows)}-row peak at larger sizes): ${flatness.holds ? 'holds' : 'does NOT hold'} — largest ratio ${worst.ratio.toFixed(2)}× at ${n(worst.rows)} rows.`,
    );
  }
  lines.push('', kpiCheck, '');
  return lines;
}
