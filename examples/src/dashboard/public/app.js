/**
 * The dashboard page: loads the JSON API, fills the date picker, the genre
 * table, both charts and the health panel, and refreshes them on the button
 * or on an interval. `document.body.dataset.refreshes` counts finished
 * refreshes and `dataset.busy` the ones in flight (tests wait on them
 * rather than on time).
 */
import { createTopChart, createTrendChart } from './charts.js';
import { groupDigits } from './format.js';
import { createGenreTable } from './genre-table.js';
import { showDates, showHealth } from './health.js';

const $ = (id) => document.getElementById(id);

/** GET a JSON endpoint; a non-2xx answer throws with the API's own message. */
async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

const state = {
  dates: [],
  date: null,
  /** Genres of the trend chart; the top 3 of the first date shown until the user picks. */
  chosen: [],
  picked: false,
  timer: undefined,
  refreshes: 0,
  /** Loads in flight (`document.body.dataset.busy`). */
  busy: 0,
  /** Latest day request; an older answer arriving late is dropped. */
  dayTicket: 0,
};

const table = createGenreTable($('genres'), {
  isChosen: (genre) => state.chosen.includes(genre),
  onTrendChange: (genre, on) => {
    state.picked = true;
    state.chosen = on
      ? [...state.chosen.filter((g) => g !== genre), genre].slice(-12)
      : state.chosen.filter((g) => g !== genre);
    table.refreshChecks();
    void run(loadTrend);
  },
});
const topChart = createTopChart($('top-chart'), $('top-fallback'));
const trendChart = createTrendChart($('trend-chart'), $('trend-fallback'));

function showError(error) {
  const box = $('error');
  if (error === undefined) {
    box.hidden = true;
    box.textContent = '';
  } else {
    box.hidden = false;
    box.textContent = error instanceof Error ? error.message : String(error);
  }
}

function fillDatePicker() {
  const select = $('date');
  const options = [...state.dates].reverse().map((d) => {
    const option = document.createElement('option');
    option.value = d.date;
    option.textContent = d.date;
    return option;
  });
  select.replaceChildren(...options);
  select.disabled = options.length === 0;
  if (state.date !== null) select.value = state.date;
}

async function loadDates() {
  const { dates } = await getJson('/api/dates');
  state.dates = dates;
  const present = dates.some((d) => d.date === state.date);
  if (!present) state.date = dates.at(-1)?.date ?? null;
  fillDatePicker();
  showDates($('dates'), dates);
}

async function loadDay() {
  if (state.date === null) {
    table.show([]);
    topChart.show('–', []);
    $('genres-title').textContent = 'Genres';
    $('genres-summary').textContent = 'No KPIs in the table yet: run the pipeline.';
    return;
  }
  const ticket = ++state.dayTicket;
  const day = await getJson(`/api/kpis?date=${encodeURIComponent(state.date)}`);
  if (ticket !== state.dayTicket) return;
  if (!state.picked && state.chosen.length === 0) {
    state.chosen = day.genres.slice(0, 3).map((g) => g.track_genre);
  }
  const listens = state.dates.find((d) => d.date === day.date)?.listens;
  $('genres-title').textContent = `Genres on ${day.date}`;
  $('genres-summary').textContent =
    `${day.genres.length} genres, ${groupDigits(listens ?? '0')} listens. Top 5: ${day.top5Genres.join(', ')}.`;
  table.show(day.genres);
  topChart.show(day.date, day.genres);
}

async function loadTrend() {
  if (state.chosen.length === 0) {
    trendChart.show({ dates: [], series: [] });
    return;
  }
  const trend = await getJson(`/api/trend?genres=${encodeURIComponent(state.chosen.join(','))}`);
  trendChart.show(trend);
}

async function loadHealth() {
  showHealth(await getJson('/api/health'));
}

/** Runs loaders; the first error is shown, the others still run. */
async function run(...loaders) {
  state.busy++;
  document.body.dataset.busy = String(state.busy);
  const results = await Promise.allSettled(loaders.map((load) => load()));
  const failed = results.find((r) => r.status === 'rejected');
  showError(failed?.reason);
  state.busy--;
  state.refreshes++;
  document.body.dataset.busy = String(state.busy);
  document.body.dataset.refreshes = String(state.refreshes);
  const now = new Date();
  $('updated').textContent = `Updated ${now.toLocaleTimeString()}`;
}

async function refreshAll() {
  // Dates first: the day and the trend depend on them.
  await run(async () => {
    await loadDates();
    await loadDay();
    await loadTrend();
  }, loadHealth);
}

function schedule(seconds) {
  clearInterval(state.timer);
  state.timer = seconds > 0 ? setInterval(() => void refreshAll(), seconds * 1000) : undefined;
}

async function start() {
  const config = await getJson('/api/config');
  $('table-name').textContent = config.table;
  $('source-name').textContent =
    config.bucket === null ? '' : `· runs from s3://${config.bucket}/${config.prefix}`;
  const select = $('auto-refresh');
  const wanted = String(config.refreshSeconds);
  if (![...select.options].some((o) => o.value === wanted)) {
    const option = document.createElement('option');
    option.value = wanted;
    option.textContent = `every ${wanted} s`;
    select.append(option);
  }
  select.value = wanted;
  select.addEventListener('change', () => schedule(Number(select.value)));
  $('controls').addEventListener('submit', (event) => {
    event.preventDefault();
    void refreshAll();
  });
  $('date').addEventListener('change', (event) => {
    state.date = event.target.value;
    void run(loadDay);
  });
  await refreshAll();
  schedule(config.refreshSeconds);
}

start().catch((error) => {
  showError(error);
  document.body.dataset.refreshes = 'failed';
});
