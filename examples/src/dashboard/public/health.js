/**
 * The pipeline-health panel: summary cards, the last runs (a failed run in
 * red, with its failures listed), quarantined files, and commits per date.
 */
import { duration, el, groupDigits, timeCell } from './format.js';

const $ = (id) => document.getElementById(id);

function card(term, value, badge) {
  const box = document.createElement('div');
  const dd = el('dd');
  if (badge === undefined) dd.textContent = value;
  else dd.append(el('span', value, { class: `badge ${badge}` }));
  box.append(el('dt', term), dd);
  return box;
}

function reasons(byReason) {
  const entries = Object.entries(byReason ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return '–';
  return entries.map(([reason, n]) => `${reason} ${groupDigits(n)}`).join(', ');
}

function objectsText(o) {
  const parts = [`${o.processed} processed`];
  if (o.skipped > 0) parts.push(`${o.skipped} skipped`);
  if (o.rejected > 0) parts.push(`${o.rejected} quarantined`);
  if (o.failed > 0) parts.push(`${o.failed} failed`);
  return parts.join(', ');
}

function runRow(run) {
  const failed = run.status !== 'ok' && run.status !== 'running';
  const tr = el('tr', null, { class: failed ? 'failed' : 'ok', 'data-status': run.status });
  const started = el('td');
  started.append(timeCell(run.startedAt));
  const status = el('td');
  status.append(el('span', run.status, { class: `badge ${failed ? 'failed' : 'ok'}` }));
  tr.append(
    started,
    status,
    el('td', duration(run.durationMs), { class: 'num' }),
    el('td', objectsText(run.objects)),
    el('td', groupDigits(run.rowsRead), { class: 'num' }),
    el(
      'td',
      `${groupDigits(run.rowsRejected)}${run.rowsRejected > 0 ? ` (${reasons(run.rejectedByReason)})` : ''}`,
    ),
  );
  return tr;
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

/** Fills the cards, the runs table, the failures and the quarantine list from `GET /api/health`. */
export function showHealth(health) {
  const cards = $('health-cards');
  const runsBody = $('runs').tBodies[0];
  if (!health.available) {
    $('health-note').textContent = health.reason;
    cards.replaceChildren();
    runsBody.replaceChildren();
    $('failures').replaceChildren();
    $('quarantine').replaceChildren();
    return;
  }
  $('health-note').textContent = '';
  const last = health.runs[0];
  const lastFailed = last !== undefined && last.status !== 'ok' && last.status !== 'running';
  cards.replaceChildren(
    last === undefined
      ? card('Last run', 'none yet')
      : card('Last run', last.status, lastFailed ? 'failed' : 'ok'),
    card(
      'Pending objects',
      groupDigits(health.pending.objects),
      health.pending.objects > 0 ? 'warn' : undefined,
    ),
    card(
      'Quarantined files',
      groupDigits(health.quarantined.count),
      health.quarantined.count > 0 ? 'warn' : undefined,
    ),
    card(
      'Dead-letter rows',
      health.deadLetter.rows === null
        ? `${groupDigits(health.deadLetter.objects)} objects`
        : groupDigits(health.deadLetter.rows),
    ),
    card('Lag landing → commit', duration(health.lagMs.last)),
    card('Max lag (last run)', duration(health.lagMs.max)),
  );
  runsBody.replaceChildren(...health.runs.map(runRow));
  const failures = health.runs.flatMap((r) =>
    r.failures.map((f) => `${r.startedAt}: ${f.where ? `${f.where} — ` : ''}${f.message}`),
  );
  const failureBox = $('failures');
  if (failures.length === 0) failureBox.replaceChildren();
  else {
    const list = el('ul', null, { class: 'failures', 'aria-label': 'Failures of the last runs' });
    list.append(...failures.slice(0, 20).map((f) => el('li', f)));
    failureBox.replaceChildren(el('h3', 'Failures'), list);
  }
  const q = $('quarantine');
  if (health.quarantined.count === 0) q.replaceChildren();
  else {
    const list = el('ul', null, { 'aria-label': 'Quarantined files' });
    list.append(
      ...health.quarantined.files.map((f) => el('li', f.reason ? `${f.key} — ${f.reason}` : f.key)),
    );
    q.replaceChildren(el('h3', 'Quarantined files'), list);
  }
}
