/**
 * The songs track dictionaries that stored KPI states (format v2) reference:
 * made durable before any state that references them, and fetched for a
 * merge only when a state references another songs table's dictionary than
 * the run's (states written before the songs file changed).
 */
import { KpiState, PipelineError, type SongsTable } from '@streamkpi/core';
import type { PartialStore } from '../partial-store.js';

/**
 * Makes the dictionaries `states` reference durable (each one PUT at most
 * once per store). Await it before storing the states: a stored state
 * never references a dictionary that is not.
 */
export async function storeStateDictionaries(
  store: PartialStore,
  songs: SongsTable | undefined,
  states: readonly { readonly bytes: Uint8Array }[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const ids = new Set<string>();
  for (const { bytes } of states) {
    const id = KpiState.referencedDictionaryId(bytes);
    if (id !== undefined) ids.add(id);
  }
  for (const id of ids) {
    const dictionary = songs?.kpiTrackDictionary();
    // Written here, a state references the run's own table (or carries its tracks).
    if (dictionary?.id !== id) {
      throw new PipelineError(
        'STATE_CORRUPT',
        `A KPI state to store references track dictionary ${id}, not the run's songs table's`,
      );
    }
    await store.putDictionary(id, dictionary.bytes, signal);
  }
}

/**
 * Starts making the track dictionary of `songs` durable, before any state
 * that will reference it exists (e.g. while an object is read), so that
 * {@link storeStateDictionaries} finds it stored. A failure is not
 * reported here: that later call meets it again.
 */
export function prestoreDictionary(
  store: PartialStore,
  songs: SongsTable,
  signal: AbortSignal | undefined,
): void {
  const { id, bytes } = songs.kpiTrackDictionary();
  store.putDictionary(id, bytes, signal).catch(() => undefined);
}

/**
 * The stored dictionaries `states` reference other than `songs`' own, by id
 * (none in the common case: no request). One that is not stored is left
 * out: reading the state then fails with `KPI_STATE_DICTIONARY_MISSING`.
 */
export async function dictionariesOf(
  store: PartialStore,
  songs: SongsTable | undefined,
  states: readonly Uint8Array[],
  signal: AbortSignal | undefined,
): Promise<Map<string, Uint8Array> | undefined> {
  const own = songs?.kpiTrackDictionary().id;
  const ids = new Set<string>();
  for (const bytes of states) {
    const id = KpiState.referencedDictionaryId(bytes);
    if (id !== undefined && id !== own) ids.add(id);
  }
  if (ids.size === 0) return undefined;
  const out = new Map<string, Uint8Array>();
  for (const id of ids) {
    const stored = await store.getDictionary(id, signal);
    if (stored !== undefined) out.set(id, stored);
  }
  return out;
}
