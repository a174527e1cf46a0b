/**
 * Formatting for the page. Counts arrive as exact decimal strings (they may
 * exceed 2^53) and are grouped as text, never through a float.
 */

/** `"1234567"` → `"1,234,567"`. */
export function groupDigits(text) {
  const s = String(text);
  const [whole, fraction] = s.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign === '' ? whole : whole.slice(1);
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Milliseconds as `850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`, with the ISO text as a tooltip. */
export function timeCell(iso) {
  const el = document.createElement('time');
  if (iso === null || iso === undefined) {
    el.textContent = '–';
    return el;
  }
  const t = new Date(iso);
  el.dateTime = iso;
  el.title = iso;
  const pad = (n) => String(n).padStart(2, '0');
  el.textContent = Number.isNaN(t.getTime())
    ? iso
    : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  return el;
}

/** A new element with text content and attributes. */
export function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
