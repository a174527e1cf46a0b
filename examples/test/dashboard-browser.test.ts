/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core)
 * over s3rver + dynalite after a pipeline run on a generated dataset: the
 * page shows exactly `readKpiItems`, its charts follow the chosen date, the
 * table sorts by keyboard, a new commit shows up on refresh, the health
 * panel shows the run history (a failed `kpis run` in red), the layout
 * holds at 1280×800 and on a phone-sized window, and nothing is logged as an
 * error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listRunRecords, readKpiItems, runKpis, type StoredKpiItem } from '@streamkpi/dynamo-sink';
import { putObject, slowDownGets, startFaultProxy } from '@streamkpi/s3-source/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './helpers/chromium.js';
import { type DashboardFixture, startDashboardFixture } from './helpers/dashboard-fixture.js';
import { emulatorEnv, runCli } from './helpers/spawn-cli.js';

interface Row {
  readonly genre: string;
  readonly listens: string;
  readonly unique: string;
  readonly avg: string;
  readonly songs: string;
}

interface ChartState {
  readonly labels: string[];
  readonly values: number[];
  readonly bars: number;
}

function byListensThenGenre(a: StoredKpiItem, b: StoredKpiItem): number {
  const d = BigInt(b.listen_count) - BigInt(a.listen_count);
  if (d !== 0n) return d > 0n ? 1 : -1;
  return a.track_genre < b.track_genre ? -1 : 1;
}

/** The genre table as the user reads it; digit groups removed from the counts. */
async function tableRows(page: Page): Promise<Row[]> {
  // No named helper functions inside: the browser gets the callback's source only.
  return page.$$eval('#genres tbody tr', (trs) =>
    trs.map((tr) => ({
      genre: tr.querySelector('th')?.textContent ?? '',
      listens: (tr.querySelector('[data-col=listens]')?.textContent ?? '').replaceAll(',', ''),
      unique: (tr.querySelector('[data-col=unique]')?.textContent ?? '').replaceAll(',', ''),
      avg: tr.querySelector('[data-col=avg]')?.textContent ?? '',
      songs: tr.querySelector('[data-col=songs]')?.textContent ?? '',
    })),
  );
}

function rowsOf(items: readonly StoredKpiItem[]): Row[] {
  return items.map((i) => ({
    genre: i.track_genre,
    listens: i.listen_count,
    unique: i.unique_listeners,
    avg: i.avg_listening_time_per_user,
    songs: i.top_3_songs,
  }));
}

/** What Chart.js drew in the top-genres chart: its labels, values and bar elements. */
async function topChart(page: Page): Promise<ChartState> {
  return page.evaluate(() => {
    type ChartLike = {
      data: { labels: string[]; datasets: { data: number[] }[] };
      getDatasetMeta(i: number): { data: unknown[] };
    };
    const chart = (
      globalThis as unknown as { Chart: { getChart(id: string): ChartLike | undefined } }
    ).Chart.getChart('top-chart');
    if (chart === undefined) throw new Error('no chart on #top-chart');
    return {
      labels: [...chart.data.labels],
      values: [...chart.data.datasets[0]!.data],
      bars: chart.getDatasetMeta(0).data.length,
    };
  });
}

/**
 * The page's globals used here: the project type-checks without the DOM
 * library, and the page's CSP forbids string evaluation, so page-side
 * callbacks reach them through `globalThis` with these types.
 */
interface PageGlobals {
  readonly document: {
    readonly body: { readonly dataset: Record<string, string | undefined> };
    readonly documentElement: { readonly scrollWidth: number };
    querySelector(selector: string): { scrollTop: number } | null;
  };
  readonly innerWidth: number;
  getComputedStyle(element: unknown): { readonly color: string; readonly backgroundColor: string };
}

const refreshes = (page: Page, n: number) =>
  page.waitForFunction(
    (k) => Number((globalThis as unknown as PageGlobals).document.body.dataset.refreshes) >= k,
    n,
  );

describe('dashboard in Chromium', () => {
  let f: DashboardFixture;
  let dir: string;
  let browser: BrowserContext;
  let page: Page;
  let dates: string[];
  const problems: string[] = [];
  let done = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kpis-dashboard-browser-'));
    f = await startDashboardFixture();
    dates = [...new Set((await readKpiItems(f.dynamo, f.table)).map((i) => i.date))].sort();
    browser = await launchChromium(dir);
    page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(f.dashboard.url);
    await refreshes(page, ++done);
  });
  after(async () => {
    await browser?.close();
    await f?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads with the latest date chosen and no console errors', async () => {
    assert.equal(await page.inputValue('#date'), dates.at(-1));
    const options = await page.$$eval('#date option', (os) => os.map((o) => o.textContent));
    assert.deepEqual(options, [...dates].reverse());
    assert.equal(await page.textContent('#table-name'), f.table);
    assert.equal(await page.isHidden('#error'), true);
    assert.deepEqual(problems, []);
  });

  it('shows the chosen date’s genres exactly as readKpiItems, most listens first', async () => {
    const items = (await readKpiItems(f.dynamo, f.table, dates.at(-1))).sort(byListensThenGenre);
    assert.equal(items.length, 114);
    assert.deepEqual(await tableRows(page), rowsOf(items));
    assert.equal(await page.textContent('#genres-title'), `Genres on ${dates.at(-1)}`);
  });

  it('draws one bar per top genre with its listens', async () => {
    const items = (await readKpiItems(f.dynamo, f.table, dates.at(-1))).sort(byListensThenGenre);
    const top = items.slice(0, 10);
    assert.deepEqual(await topChart(page), {
      labels: top.map((i) => i.track_genre),
      values: top.map((i) => Number(i.listen_count)),
      bars: 10,
    });
    assert.equal(await page.locator('#top-fallback li').count(), 10);
  });

  it('updates the table and the bar chart when another date is chosen', async () => {
    const before = await topChart(page);
    await page.selectOption('#date', dates[0]!);
    await refreshes(page, ++done);
    const items = (await readKpiItems(f.dynamo, f.table, dates[0])).sort(byListensThenGenre);
    assert.deepEqual(await tableRows(page), rowsOf(items));
    const after = await topChart(page);
    assert.deepEqual(
      after.labels,
      items.slice(0, 10).map((i) => i.track_genre),
    );
    assert.deepEqual(
      after.values,
      items.slice(0, 10).map((i) => Number(i.listen_count)),
    );
    assert.notDeepEqual(after, before);
    assert.equal(await page.textContent('#genres-title'), `Genres on ${dates[0]}`);
  });

  it('sorts the table from the keyboard and says so with aria-sort', async () => {
    await page.focus('th[data-key=track_genre] button');
    await page.keyboard.press('Enter');
    const genres = (await tableRows(page)).map((r) => r.genre);
    assert.deepEqual(genres, [...genres].sort());
    assert.equal(await page.getAttribute('th[data-key=track_genre]', 'aria-sort'), 'ascending');
    assert.equal(await page.getAttribute('th[data-key=listen_count]', 'aria-sort'), 'none');
    await page.keyboard.press('Enter');
    const descending = (await tableRows(page)).map((r) => r.genre);
    assert.deepEqual(descending, [...genres].reverse());
    // Back to listens, most first.
    await page.click('th[data-key=listen_count] button');
    assert.equal(await page.getAttribute('th[data-key=listen_count]', 'aria-sort'), 'descending');
  });

  it('charts listens per day for the ticked genres', async () => {
    const trend = () =>
      page.evaluate(() => {
        type ChartLike = {
          data: { labels: string[]; datasets: { label: string; data: (number | null)[] }[] };
        };
        const chart = (
          globalThis as unknown as { Chart: { getChart(id: string): ChartLike | undefined } }
        ).Chart.getChart('trend-chart')!;
        return {
          labels: [...chart.data.labels],
          series: chart.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })),
        };
      });
    const first = await trend();
    assert.equal(first.series.length, 3);
    assert.deepEqual(first.labels, dates);
    const all = await readKpiItems(f.dynamo, f.table);
    const listens = (genre: string) =>
      dates.map((d) => {
        const item = all.find((i) => i.date === d && i.track_genre === genre);
        return item === undefined ? null : Number(item.listen_count);
      });
    for (const s of first.series) assert.deepEqual(s.data, listens(s.label));
    // Tick one more genre (the last row's).
    const lastRow = page.locator('#genres tbody tr').last();
    const genre = (await lastRow.locator('th').textContent())!;
    await lastRow.locator('input[type=checkbox]').check();
    await refreshes(page, ++done);
    const next = await trend();
    assert.deepEqual(
      next.series.map((s) => s.label),
      [...first.series.map((s) => s.label), genre],
    );
    assert.deepEqual(next.series.at(-1)!.data, listens(genre));
  });

  it('refreshes itself on the interval picked on the page', async () => {
    const before = Number(await page.getAttribute('body', 'data-refreshes'));
    await page.selectOption('#auto-refresh', '5');
    // Two more refreshes without a click: the interval runs, not a one-off.
    done = before + 2;
    await refreshes(page, done);
    await page.selectOption('#auto-refresh', '0');
    // A refresh the timer started just before may still be loading: let it land first.
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.body.dataset.busy === '0',
    );
    done = Number(await page.getAttribute('body', 'data-refreshes'));
    assert.ok(done >= before + 2);
  });

  it('shows a newly committed file after Refresh', async () => {
    await page.selectOption('#date', dates.at(-1)!);
    await refreshes(page, ++done);
    const items = (await readKpiItems(f.dynamo, f.table, dates.at(-1))).sort(byListensThenGenre);
    const genre = items.at(-1)!;
    // One more listen of a song of the least listened genre, committed by a second run.
    const track = genre.top_songs[0]!.track_id;
    await putObject(
      f.s3,
      f.bucket,
      'streams/late.csv',
      `user_id,track_id,listen_time\n1,${track},${dates.at(-1)} 12:00:00\n`,
    );
    const second = await runKpis({
      s3: f.s3,
      dynamo: f.dynamo,
      bucket: f.bucket,
      tableName: f.table,
      threads: 0,
    });
    assert.equal(second.objects.processed, 1);
    await page.click('#refresh');
    await refreshes(page, ++done);
    const now = (await readKpiItems(f.dynamo, f.table, dates.at(-1))).sort(byListensThenGenre);
    assert.deepEqual(await tableRows(page), rowsOf(now));
    const row = (await tableRows(page)).find((r) => r.genre === genre.track_genre)!;
    assert.ok(BigInt(row.listens) > BigInt(genre.listen_count));
  });

  it('shows the run history: the fixture run as ok, nothing waiting', async () => {
    assert.equal(await page.textContent('#card-last-run dd'), 'ok');
    assert.equal(await page.textContent('#card-pending dd'), '0');
    assert.equal(await page.textContent('#card-quarantined dd'), '0');
    const runs = await page.$$eval('#runs tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-status')),
    );
    assert.deepEqual(runs, ['ok']);
    // The landing → committed latency of that run, as its record holds it.
    const [record] = await listRunRecords({ s3: f.s3, bucket: f.bucket });
    const latency = record?.landingToCommitted;
    assert.ok(latency !== undefined && latency.count === 3, JSON.stringify(latency));
    const shown = await page.$eval('#card-landing-committed', (box) => ({
      term: box.querySelector('dt')?.textContent,
      value: box.querySelector('dd')?.textContent,
      p50: box.getAttribute('data-p50-ms'),
      max: box.getAttribute('data-max-ms'),
    }));
    assert.equal(shown.term, 'Landing → committed (3 objects)');
    assert.deepEqual([shown.p50, shown.max], [String(latency.p50Ms), String(latency.maxMs)]);
    assert.match(
      shown.value ?? '',
      /^p50 \d[\d.]* (ms|s|min \d+ s) · max \d[\d.]* (ms|s|min \d+ s)$/,
    );
  });

  it('shows a failed kpis run as failed, with its failure, the file left waiting and the quarantined file', async () => {
    const csv = `user_id,track_id,listen_time\n${'1,unknown-track,2024-06-25 10:00:00\n'.repeat(2_000)}`;
    await putObject(f.s3, f.bucket, 'streams/down.csv', csv);
    await putObject(f.s3, f.bucket, 'streams/no-columns.csv', 'a,b\n1,2\n');
    // S3 keeps answering 503 for one object: it fails after the run's retries and stays waiting.
    const proxy = await startFaultProxy(f.s3rver.endpoint);
    proxy.plan = slowDownGets('streams/down.csv');
    const run = await runCli(
      ['run', '--bucket', f.bucket, '--table', f.table, '--s3-force-path-style', '--threads', '0'],
      emulatorEnv(proxy.endpoint, f.dynalite.endpoint),
    ).finally(() => proxy.close());
    assert.equal(run.code, 1, run.stderr);
    await page.click('#refresh');
    await refreshes(page, ++done);
    const runs = await page.$$eval('#runs tbody tr', (trs) =>
      trs.map((tr) => ({
        status: tr.getAttribute('data-status'),
        badge: tr.querySelector('.badge')?.textContent,
        objects: tr.children[3]?.textContent,
      })),
    );
    assert.deepEqual(runs, [
      { status: 'failed', badge: 'failed', objects: '0 committed, 1 quarantined, 1 failed' },
      { status: 'ok', badge: 'ok', objects: '3 committed' },
    ]);
    // Red: white text on the failure colour.
    const colours = await page.$eval('#runs tbody tr .badge', (b) => {
      const style = (globalThis as unknown as PageGlobals).getComputedStyle(b);
      return { fg: style.color, bg: style.backgroundColor };
    });
    assert.deepEqual(colours, { fg: 'rgb(255, 255, 255)', bg: 'rgb(179, 38, 30)' });
    assert.equal(await page.textContent('#card-last-run dd'), 'failed');
    const failures = await page.$$eval('#failures li', (lis) =>
      lis.map((li) => li.textContent ?? ''),
    );
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, / · process · streams\/down\.csv: \S+ — /);
    assert.equal(await page.textContent('#card-pending dd'), '1');
    assert.notEqual(await page.textContent('#card-lag dd'), '–');
    assert.equal(await page.textContent('#card-quarantined dd'), '1');
    const lists = await page.$$eval('#quarantine li', (lis) =>
      lis.map((li) => li.textContent ?? ''),
    );
    assert.equal(lists.length, 2);
    assert.match(lists[0]!, /^streams\/down\.csv \([\d,]+ bytes\)$/);
    assert.match(lists[1]!, /no-columns\.csv — /);
  });

  it('writes a screenshot at 1280×800 and fits a narrow window without sideways scrolling', async () => {
    const shot = join(dir, 'dashboard-1280x800.png');
    await page.evaluate(() => {
      const wrap = (globalThis as unknown as PageGlobals).document.querySelector('.table-wrap');
      if (wrap !== null) wrap.scrollTop = 0;
    });
    await page.screenshot({ path: shot });
    const png = await readFile(shot);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 1280);
    assert.equal(png.readUInt32BE(20), 800);
    await page.setViewportSize({ width: 390, height: 844 });
    // Chart.js resizes its canvases from a ResizeObserver callback, after the window changed.
    await page
      .waitForFunction(
        () => {
          const g = globalThis as unknown as PageGlobals;
          return g.document.documentElement.scrollWidth <= g.innerWidth;
        },
        null,
        { timeout: 5_000 },
      )
      .catch(() => undefined);
    const widths = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return { page: g.document.documentElement.scrollWidth, window: g.innerWidth };
    });
    await page.screenshot({ path: join(dir, 'dashboard-390.png'), fullPage: true });
    assert.ok(
      widths.page <= widths.window,
      `page ${widths.page}px wide in a ${widths.window}px window`,
    );
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(problems, []);
  });
});
