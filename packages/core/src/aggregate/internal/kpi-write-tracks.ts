/**
 * The track entries of a serialized KPI state (see kpi-codec.ts): which
 * entries its cells use, and how they are written — positions into the
 * songs table's stored dictionary (v2), that dictionary's cached bytes
 * (v1, bound), or the state's own (id, name) pairs (v1).
 */
import type { TrackDictionary } from '../../join/track-dictionary.js';
import type { KpiState } from '../kpi-state.js';
import type { ByteWriter } from './kpi-bytes.js';
import { compareCodePoints, sortedOrder } from './kpi-compare.js';
import { encodedDictionary } from './kpi-encoded-dictionary.js';

/** The dictionary entries the cells of `days` use, and the bytes their cells take at most. */
export interface Used {
  readonly genre: Uint8Array;
  readonly track: Uint8Array;
  readonly maxTracks: number;
  readonly cellBytes: number;
}

/** The entries of `order` marked in `used`, in that order; `renumbered[e]` is set to each one's index among them. */
export function keepUsed(order: Int32Array, used: Uint8Array, renumbered: Int32Array): number[] {
  const kept: number[] = [];
  for (const e of order) {
    if (used[e] === 0) continue;
    renumbered[e] = kept.length;
    kept.push(e);
  }
  return kept;
}

/** v2: the positions of the used entries in the dictionary's canonical order, delta-coded. */
export function writeTrackPositions(
  w: ByteWriter,
  origin: TrackDictionary,
  used: Used,
  trackNew: Int32Array,
): void {
  const { order } = encodedDictionary(origin);
  const track = used.track;
  let count = 0;
  for (let i = 0; i < order.length; i++) {
    const t = order[i]!;
    if (track[t] !== 0) trackNew[t] = count++;
  }
  w.reserve(4 * count + used.cellBytes);
  w.varint(count);
  let prev = -1;
  for (let i = 0; i < order.length; i++) {
    if (track[order[i]!] === 0) continue;
    w.varint(i - prev - 1);
    prev = i;
  }
}

/** v1 of a state bound to its dictionary: the used entries' cached bytes, a run of consecutive ones at a time. */
export function writeDictionaryTracks(
  w: ByteWriter,
  origin: TrackDictionary,
  used: Used,
  trackNew: Int32Array,
): void {
  const { order, start, bytes } = encodedDictionary(origin);
  let count = 0;
  let trackBytes = 0;
  for (let i = 0; i < order.length; i++) {
    if (used.track[order[i]!] === 0) continue;
    count++;
    trackBytes += start[i + 1]! - start[i]!;
  }
  w.reserve(trackBytes + used.cellBytes);
  w.varint(count);
  let n = 0;
  let run = -1;
  for (let i = 0; i < order.length; i++) {
    const t = order[i]!;
    if (used.track[t] === 0) {
      if (run >= 0) w.copy(bytes, run, start[i]!);
      run = -1;
      continue;
    }
    trackNew[t] = n++;
    if (run < 0) run = start[i]!;
  }
  if (run >= 0) w.copy(bytes, run, start[order.length]!);
}

/** v1 of a state with entries of its own: the used (id, name) entries in canonical order. */
export function writeOwnTracks(
  w: ByteWriter,
  state: KpiState,
  used: Used,
  trackNew: Int32Array,
): void {
  const trackOrder = sortedOrder(
    state.trackCount,
    (a, b) =>
      compareCodePoints(state.trackIds[a]!, state.trackIds[b]!) ||
      compareCodePoints(state.trackNames[a]!, state.trackNames[b]!),
  );
  const tracks = keepUsed(trackOrder, used.track, trackNew);
  w.reserve(used.cellBytes);
  w.varint(tracks.length);
  for (const t of tracks) {
    w.string(state.trackIds[t]!);
    w.string(state.trackNames[t]!);
  }
}
