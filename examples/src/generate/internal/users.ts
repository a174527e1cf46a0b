import { csvField } from './csv.js';
import type { Prng } from './prng.js';
import { COUNTRIES, FIRST_NAMES } from './words.js';

/** Header of the users file. */
export const USERS_HEADER = 'user_id,user_name,user_age,user_country,created_at';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Yields the users file (ids 1..count) in chunks. */
export function* usersChunks(rng: Prng, count: number): Generator<string> {
  let lines: string[] = [`${USERS_HEADER}\n`];
  for (let id = 1; id <= count; id++) {
    const name = `${rng.pick(FIRST_NAMES)} ${rng.pick(FIRST_NAMES)}${rng.float() < 0.05 ? ', Jr.' : ''}`;
    const created =
      `${2019 + rng.int(5)}-${pad2(1 + rng.int(12))}-${pad2(1 + rng.int(28))} ` +
      `${pad2(rng.int(24))}:${pad2(rng.int(60))}:${pad2(rng.int(60))}`;
    lines.push(`${id},${csvField(name)},${13 + rng.int(70)},${rng.pick(COUNTRIES)},${created}\n`);
    if (lines.length === 8192) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}
