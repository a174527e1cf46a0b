/** One bar group entry of the chart. */
export interface ChartRow {
  readonly rows: number;
  readonly tool: string;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number | undefined;
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function label(rows: number): string {
  return rows >= 1_000_000 ? `${rows / 1_000_000}M rows` : `${rows / 1000}k rows`;
}

function panel(
  x0: number,
  title: string,
  data: readonly ChartRow[],
  value: (r: ChartRow) => number | undefined,
  format: (v: number) => string,
  sizes: readonly number[],
  tools: readonly string[],
): string {
  const width = 420;
  const height = 260;
  const top = 40;
  const bottom = 40;
  const max = Math.max(1, ...data.map((r) => value(r) ?? 0));
  const groupWidth = (width - 40) / sizes.length;
  const barWidth = Math.min(40, (groupWidth - 20) / tools.length);
  const parts = [
    `<text x="${x0 + width / 2}" y="22" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${x0 + 20}" y1="${height - bottom}" x2="${x0 + width - 20}" y2="${height - bottom}" stroke="#333"/>`,
  ];
  sizes.forEach((size, g) => {
    const gx = x0 + 20 + g * groupWidth + (groupWidth - barWidth * tools.length) / 2;
    tools.forEach((tool, t) => {
      const row = data.find((r) => r.rows === size && r.tool === tool);
      const v = row === undefined ? undefined : value(row);
      if (v === undefined) return;
      const h = ((height - top - bottom) * v) / max;
      const x = gx + t * barWidth;
      const y = height - bottom - h;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[t % COLORS.length]}"><title>${esc(tool)}: ${esc(format(v))}</title></rect>`,
        `<text x="${(x + (barWidth - 4) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10">${esc(format(v))}</text>`,
      );
    });
    parts.push(
      `<text x="${(x0 + 20 + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${height - bottom + 18}" text-anchor="middle">${label(size)}</text>`,
    );
  });
  return parts.join('\n');
}

/** A hand-written SVG: throughput (rows/s) and peak RSS (MB) by tool and dataset size. */
export function renderChart(data: readonly ChartRow[], subtitle: string): string {
  const sizes = [...new Set(data.map((r) => r.rows))].sort((a, b) => a - b);
  const tools = [...new Set(data.map((r) => r.tool))];
  const legend = tools
    .map(
      (tool, t) =>
        `<rect x="${20 + t * 200}" y="272" width="12" height="12" fill="${COLORS[t % COLORS.length]}"/><text x="${36 + t * 200}" y="283">${esc(tool)}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="320" font-family="sans-serif" font-size="12">
<rect width="860" height="320" fill="white"/>
${panel(
  0,
  'Throughput (stream rows/s, higher is better)',
  data,
  (r) => r.rowsPerSecond,
  (v) => `${Math.round(v / 1000)}k`,
  sizes,
  tools,
)}
${panel(
  430,
  'Peak RSS (MB, lower is better)',
  data,
  (r) => r.peakRssMb,
  (v) => `${Math.round(v)}`,
  sizes,
  tools,
)}
${legend}
<text x="20" y="310" font-size="10" fill="#555">${esc(subtitle)}</text>
</svg>
`;
}
