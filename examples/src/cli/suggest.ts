/**
 * "Did you mean …?" for misspelt commands and flags: the closest candidate
 * by Levenshtein distance (`leven`), if it is close enough to be a typo —
 * at most 2 edits, or a third of the input's length for longer names (a
 * swap of two letters, `--inptu`, is 2). A prefix of 3 letters or more
 * (`--conc`) suggests the flag it begins.
 */
import { closestMatch } from 'leven';

/** The candidate closest to `input`, or undefined when none is close. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  if (input.length >= 3) {
    const prefixed = candidates.filter((c) => c.startsWith(input));
    if (prefixed.length === 1) return prefixed[0];
  }
  const maxDistance = Math.max(2, Math.floor(input.length / 3));
  return closestMatch(input, candidates, { maxDistance });
}
