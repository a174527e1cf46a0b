/**
 * KPI items of one date as a text table (genre, listens, unique listeners,
 * average seconds, top 3 songs), most listened genres first.
 */

/** The fields the table shows; both `KpiItem` and `StoredKpiItem` fit. */
export interface KpiTableItem {
  readonly date: string;
  readonly track_genre: string;
  readonly listen_count: number | string;
  readonly unique_listeners: number | string;
  readonly avg_listening_time_per_user: string;
  readonly top_3_songs: string;
}

/** Options of {@link formatKpiTable}. */
export interface FormatKpiTableOptions {
  /** Rows shown (most listens first). Default 15. */
  readonly limit?: number;
  /** Longest `top 3 songs` cell before it is cut with `…`. Default 70. */
  readonly maxSongsWidth?: number;
}

function cut(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/** Formats the items of `date` (others are ignored). */
export function formatKpiTable(
  items: readonly KpiTableItem[],
  date: string,
  options: FormatKpiTableOptions = {},
): string {
  const limit = options.limit ?? 15;
  const width = options.maxSongsWidth ?? 70;
  const day = items
    .filter((i) => i.date === date)
    .sort(
      (a, b) =>
        Number(b.listen_count) - Number(a.listen_count) ||
        (a.track_genre < b.track_genre ? -1 : a.track_genre > b.track_genre ? 1 : 0),
    );
  const header = ['genre', 'listens', 'unique listeners', 'avg s', 'top 3 songs'];
  const rows = day
    .slice(0, limit)
    .map((i) => [
      i.track_genre,
      Number(i.listen_count).toLocaleString('en-US'),
      Number(i.unique_listeners).toLocaleString('en-US'),
      i.avg_listening_time_per_user,
      cut(i.top_3_songs, width),
    ]);
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.map((r) => Array.from(r[c]!).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => {
        const pad = widths[c]! - Array.from(cell).length;
        // Numbers right-aligned, text left-aligned; the last column is not padded.
        if (c === 0) return cell + ' '.repeat(pad);
        if (c === cells.length - 1) return cell;
        return ' '.repeat(pad) + cell;
      })
      .join('  ');
  const out = [
    `KPIs for ${date} — ${day.length} genres${day.length > limit ? `, top ${limit} by listens` : ''}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  return `${out.join('\n')}\n`;
}
