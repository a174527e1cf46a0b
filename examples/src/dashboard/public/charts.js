/**
 * The two charts, drawn with Chart.js (the global `Chart` of its UMD build,
 * served by the dashboard itself). Each canvas carries an `aria-label`
 * summing up its data and fallback content with the same numbers as text.
 */
import { el, groupDigits } from './format.js';

/** Bars in the top-genres chart. */
export const TOP_GENRES = 10;

// Okabe–Ito colours (distinguishable with colour-vision deficiencies), darkened
// where needed for 3:1 contrast against the white background.
const PALETTE = [
  '#0072b2',
  '#c84f00',
  '#00795a',
  '#b5478f',
  '#9a6a00',
  '#3a7ca5',
  '#000000',
  '#882255',
  '#117733',
  '#332288',
  '#6b6b2a',
  '#a63d40',
];

function baseOptions() {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: false } },
    scales: {
      y: { beginAtZero: true, ticks: { precision: 0 } },
    },
  };
}

/** The bar chart of the date's top genres. */
export function createTopChart(canvas, fallback) {
  Chart.defaults.color = '#333';
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const chart = new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Listens', data: [], backgroundColor: '#1f5fa8' }] },
    options: { ...baseOptions(), indexAxis: 'x' },
  });
  return {
    /** `genres`: the date's items, most listens first. */
    show(date, genres) {
      const top = genres.slice(0, TOP_GENRES);
      chart.data.labels = top.map((g) => g.track_genre);
      chart.data.datasets[0].data = top.map((g) => Number(g.listen_count));
      chart.update();
      const parts = top.map((g) => `${g.track_genre} ${groupDigits(g.listen_count)}`);
      canvas.setAttribute(
        'aria-label',
        `Top ${top.length} genres by listens on ${date}: ${parts.join('; ')}`,
      );
      fallback.replaceChildren(...parts.map((p) => el('li', p)));
    },
  };
}

/** The line chart of listens per day for the chosen genres. */
export function createTrendChart(canvas, fallback) {
  const options = baseOptions();
  options.plugins.legend = { display: true, position: 'bottom' };
  const chart = new Chart(canvas, { type: 'line', data: { labels: [], datasets: [] }, options });
  return {
    /** `trend`: `{ dates, series: [{ genre, listens: (string|null)[] }] }`. */
    show(trend) {
      chart.data.labels = trend.dates;
      chart.data.datasets = trend.series.map((s, i) => ({
        label: s.genre,
        data: s.listens.map((v) => (v === null ? null : Number(v))),
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: 3,
        spanGaps: false,
      }));
      chart.update();
      const summary =
        trend.series.length === 0
          ? 'No genre chosen'
          : trend.series
              .map((s) => {
                const values = s.listens.map(
                  (v, i) => `${trend.dates[i]} ${v === null ? '–' : groupDigits(v)}`,
                );
                return `${s.genre}: ${values.join(', ')}`;
              })
              .join('; ');
      canvas.setAttribute('aria-label', `Listens per day. ${summary}`);
      fallback.textContent = summary;
    },
  };
}
