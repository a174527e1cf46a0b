/**
 * The pipeline-health panel from `GET /api/health` (the pipeline status and
 * its run records): summary cards (landing → committed latency of the
 * newest run that committed objects among them), the last runs (a failed
 * run in red, its failures listed), quarantined files, and commits per date.
 */
import { duration, el, groupDigits, timeCell } from './format.js';

const $ = (id) => document.getElementById(id);

function card(term, value, badge, id) {
  const box = el('div', null, id === undefined ? {} : { id });
  const dd = el('dd');
  if (badge === undefined) dd.textContent = value;
  else dd.append(el('span', value, { class: `badge ${badge}` }));
  box.append(el('dt', term), dd);
  return box;
}

/** A count that wants attention when above 0. */
function countCard(term, count, id) {
  return card(term, groupDigits(count), count > 0 ? 'warn' : undefined, id);
}

/**
 * Landing → committed (p50 and max) of the newest run that committed
 * something; its raw milliseconds in `data-*` attributes.
 */
function latencyCard(runs) {
  const latency = runs.map((r) => r.landingToCommitted).find((l) => l !== undefined && l.count > 0);
  const box =
    latency === undefined
      ? card('Landing → committed', '–', undefined, 'card-landing-committed')
      : card(
          `Landing → committed (${groupDigits(latency.count)} objects)`,
          `p50 ${duration(latency.p50Ms)} · max ${duration(latency.maxMs)}`,
          undefined,
          'card-landing-committed',
        );
  if (latency !== undefined) {
    box.dataset.p50Ms = String(latency.p50Ms);
    box.dataset.maxMs = String(latency.maxMs);
  }
  return box;
}

function reasons(byReason) {
  return Object.entries(byReason ?? {})
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${groupDigits(n)}`)
    .join(', ');
}

function objectsText(o) {
  const parts = [`${o.committed.count} committed`];
  if (o.skipped.count > 0) parts.push(`${o.skipped.count} skipped`);
  if (o.quarantined.count > 0) parts.push(`${o.quarantined.count} quarantined`);
  if (o.failed.count > 0) parts.push(`${o.failed.count} failed`);
  return parts.join(', ');
}

const statusOf = (run) => (run.ok ? 'ok' : 'failed');

function runRow(run) {
  const status = statusOf(run);
  const tr = el('tr', null, { class: status, 'data-status': status, 'data-run': run.runId });
  const started = el('td');
  started.append(timeCell(run.startedAt));
  const badge = el('td');
  badge.append(el('span', status, { class: `badge ${status}` }));
  const rejected = reasons(run.rows.rejectedByReason);
  tr.append(
    started,
    badge,
    el('td', duration(run.durations.totalMs), { class: 'num' }),
    el('td', objectsText(run.objects)),
    el('td', groupDigits(run.rows.read), { class: 'num' }),
    el(
      'td',
      rejected === ''
        ? groupDigits(run.rows.rejected)
        : `${groupDigits(run.rows.rejected)} (${rejected})`,
    ),
  );
  return tr;
}

function failureText(run, f) {
  const where = f.key ?? (f.date === undefined ? f.step : `date ${f.date}`);
  return `${run.startedAt} · ${f.step} · ${where}: ${f.code} — ${f.message}`;
}

/** Fills the "Commits per date" table from `GET /api/dates`. */
export function showDates(table, dates) {
  const rows = [...dates].reverse().map((d) => {
    const tr = el('tr');
    const last = el('td');
    last.append(timeCell(d.lastCommit));
    tr.append(
      el('th', d.date, { scope: 'row' }),
      el('td', d.genres, { class: 'num' }),
      el('td', groupDigits(d.listens), { class: 'num' }),
      last,
    );
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
}

function list(title, label, items, kind = 'plain') {
  if (items.length === 0) return [];
  const ul = el('ul', null, { class: `listing ${kind}`, 'aria-label': label });
  ul.append(...items.map((text) => el('li', text)));
  return [el('h3', title), ul];
}

/** Fills the cards, the runs table, the failures and the quarantine list. */
export function showHealth(health) {
  const cards = $('health-cards');
  const runsBody = $('runs').tBodies[0];
  if (!health.available) {
    $('health-note').textContent = health.reason;
    for (const node of [cards, runsBody, $('failures'), $('quarantine')]) node.replaceChildren();
    return;
  }
  $('health-note').textContent = '';
  const last = health.runs[0];
  const lastCommit = health.dates
    .map((d) => d.lastCommitAt)
    .filter((t) => t !== undefined)
    .sort()
    .at(-1);
  const dl = health.deadLetter;
  cards.replaceChildren(
    last === undefined
      ? card('Last run', 'none yet', undefined, 'card-last-run')
      : card('Last run', statusOf(last), statusOf(last), 'card-last-run'),
    countCard('Pending objects', health.pending.count, 'card-pending'),
    card(
      'Oldest waiting (landing → now)',
      duration(health.oldestPendingAgeMs),
      undefined,
      'card-lag',
    ),
    latencyCard(health.runs),
    countCard('Quarantined files', health.quarantined.count, 'card-quarantined'),
    card(
      'Dead-letter files',
      `${groupDigits(dl.objects)} for ${groupDigits(dl.sources)} sources`,
      undefined,
      'card-dead-letter',
    ),
    card(
      'Last commit',
      lastCommit === undefined ? '–' : timeCell(lastCommit).textContent,
      undefined,
      'card-last-commit',
    ),
  );
  runsBody.replaceChildren(...health.runs.map(runRow));
  $('failures').replaceChildren(
    ...list(
      'Failures',
      'Failures of the last runs',
      health.runs.flatMap((r) => r.failures.map((f) => failureText(r, f))).slice(0, 20),
      'failures',
    ),
  );
  $('quarantine').replaceChildren(
    ...list(
      'Waiting in streams/',
      'Stream objects waiting',
      health.pending.objects.map((o) => `${o.key} (${groupDigits(o.size)} bytes)`),
    ),
    ...list(
      'Quarantined files',
      'Quarantined files',
      health.quarantined.files.map((f) =>
        f.reason === undefined ? f.key : `${f.key} — ${f.reason}`,
      ),
    ),
  );
}
