/**
 * Serialized KPI states in, their merge out as bytes and (when asked) its
 * KPI items: the whole of a commit's state work in one call, so that it can
 * run on a worker thread and the caller only stores what comes back.
 */
import type { SerializeKpiStateOptions } from '../aggregate/kpi-codec.js';
import { serializeKpiState } from '../aggregate/kpi-codec.js';
import { deserializeKpiState } from '../aggregate/kpi-decode.js';
import { mergeKpiStateInto } from '../aggregate/kpi-merge.js';
import type { KpiState } from '../aggregate/kpi-state.js';
import { OptionsError } from '../errors.js';
import type { SongsTable } from '../join/songs-table.js';
import { finalizeKpis } from './finalize-kpis.js';
import type { KpiItem } from './kpi-item.js';

/** The merge of serialized states, as {@link mergeSerializedKpiStates} returns it. */
export interface SerializedKpiMerge {
  /** `serializeKpiState` of the merged state (canonical: equal states, equal bytes). */
  readonly bytes: Uint8Array;
  /** `finalizeKpis` of the merged state, without `updated_at`; empty unless asked for. */
  readonly items: readonly KpiItem[];
}

/** Options of {@link mergeSerializedKpiStates}. */
export interface MergeSerializedKpiStatesOptions {
  /** Read the states bound to this table (merging needs no string work; same result). */
  readonly songs?: SongsTable;
  /** Stored track dictionaries by id, for v2 states of other tables (see `deserializeKpiState`). */
  readonly dictionaries?: ReadonlyMap<string, Uint8Array>;
  /** How the merge is serialized (see `serializeKpiState`); default `'inline'`. */
  readonly trackDictionary?: SerializeKpiStateOptions['trackDictionary'];
  /** Also finalize the merged state into its KPI items. */
  readonly finalize: boolean;
}

/**
 * Reads serialized KPI states, merges them and serializes the merge; with
 * `finalize`, also returns its KPI items.
 *
 * @throws OptionsError for no state at all; PipelineError `KPI_STATE_CORRUPT`,
 *   `KPI_STATE_VERSION`, `KPI_STATE_DICTIONARY_MISSING` or
 *   `KPI_STATE_MODE_MISMATCH` for bad, unreadable or mixed states.
 */
export function mergeSerializedKpiStates(
  states: readonly Uint8Array[],
  options: MergeSerializedKpiStatesOptions,
): SerializedKpiMerge {
  if (states.length === 0) {
    throw new OptionsError('mergeSerializedKpiStates: expected at least one serialized state');
  }
  const state = readMerged(states, options.songs, options.dictionaries);
  return {
    bytes: serializeKpiState(
      state,
      options.trackDictionary === undefined ? {} : { trackDictionary: options.trackDictionary },
    ),
    items: options.finalize ? finalizeKpis(state) : [],
  };
}

/** The merge of serialized states (at least one), read bound to `songs` when given. @internal */
export function readMerged(
  states: readonly Uint8Array[],
  songs: SongsTable | undefined,
  dictionaries?: ReadonlyMap<string, Uint8Array>,
): KpiState {
  const read = {
    ...(songs === undefined ? {} : { songs }),
    ...(dictionaries === undefined ? {} : { dictionaries }),
  };
  let merged: KpiState | undefined;
  for (const bytes of states) {
    const state = deserializeKpiState(bytes, read);
    if (merged === undefined) merged = state;
    else mergeKpiStateInto(merged, state);
  }
  if (merged === undefined) throw new TypeError('readMerged: no states');
  return merged;
}
