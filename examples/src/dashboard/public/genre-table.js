/**
 * The sortable genre table of one date. Sorting is done by buttons in the
 * column headers (keyboard-reachable, `aria-sort` kept in step); the "Trend"
 * check boxes choose the genres of the line chart.
 */
import { el, groupDigits } from './format.js';

const INTEGER_KEYS = new Set(['listen_count', 'unique_listeners']);

function compare(key) {
  if (key === 'track_genre') return (a, b) => (a.track_genre < b.track_genre ? -1 : 1);
  if (INTEGER_KEYS.has(key)) {
    return (a, b) => {
      const d = BigInt(a[key]) - BigInt(b[key]);
      return d === 0n ? 0 : d < 0n ? -1 : 1;
    };
  }
  return (a, b) => Number(a[key]) - Number(b[key]);
}

/**
 * Wires the table. `onTrendChange(genres)` is called when a check box
 * changes; `isChosen(genre)` says whether a genre's box is ticked.
 */
export function createGenreTable(table, { onTrendChange, isChosen }) {
  const body = table.tBodies[0];
  const headers = [...table.tHead.querySelectorAll('th[data-key]')];
  let sort = { key: 'listen_count', direction: 'descending' };
  let items = [];

  function sorted() {
    const base = compare(sort.key);
    const sign = sort.direction === 'ascending' ? 1 : -1;
    // Ties keep the listens order (the API's), so equal values never shuffle.
    return items
      .map((item, rank) => ({ item, rank }))
      .sort((a, b) => sign * base(a.item, b.item) || a.rank - b.rank);
  }

  function render() {
    for (const th of headers) {
      th.setAttribute('aria-sort', th.dataset.key === sort.key ? sort.direction : 'none');
    }
    const rows = sorted().map(({ item, rank }) => {
      const tr = document.createElement('tr');
      tr.dataset.genre = item.track_genre;
      const box = el('input', null, {
        type: 'checkbox',
        'aria-label': `Show ${item.track_genre} in the listens-per-day chart`,
      });
      box.checked = isChosen(item.track_genre);
      box.addEventListener('change', () => {
        onTrendChange(item.track_genre, box.checked);
      });
      const check = el('td', null, { class: 'check' });
      check.append(box);
      tr.append(
        el('td', rank + 1, { class: 'num' }),
        el('th', item.track_genre, { scope: 'row' }),
        check,
        el('td', groupDigits(item.listen_count), { class: 'num', 'data-col': 'listens' }),
        el('td', groupDigits(item.unique_listeners), { class: 'num', 'data-col': 'unique' }),
        el('td', item.avg_listening_time_per_user, { class: 'num', 'data-col': 'avg' }),
        el('td', item.top_3_songs, { class: 'songs', 'data-col': 'songs' }),
      );
      return tr;
    });
    body.replaceChildren(...rows);
  }

  for (const th of headers) {
    th.querySelector('button').addEventListener('click', () => {
      const key = th.dataset.key;
      const direction =
        sort.key === key
          ? sort.direction === 'descending'
            ? 'ascending'
            : 'descending'
          : key === 'track_genre'
            ? 'ascending'
            : 'descending';
      sort = { key, direction };
      render();
    });
  }

  return {
    /** Shows `next` (the API's order: most listens first). */
    show(next) {
      items = next;
      render();
    },
    /** Re-ticks the boxes after the chosen genres changed elsewhere. */
    refreshChecks() {
      for (const tr of body.rows) {
        const box = tr.querySelector('input[type=checkbox]');
        if (box !== null) box.checked = isChosen(tr.dataset.genre);
      }
    },
  };
}
