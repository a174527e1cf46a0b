/**
 * The snapshot object of one date: which partials it covers, the KPI items
 * it finalizes to (so the next commit can tell which items changed without
 * re-finalizing it) and the merged KPI state in core's binary codec.
 *
 * Layout: `SKSNAP1\n`, a 4-byte big-endian header length, the header as
 * UTF-8 JSON, then the state bytes.
 */
import { createHash } from 'node:crypto';
import { type KpiItem, PipelineError } from '@streamkpi/core';

/** What a snapshot says about itself. */
export interface SnapshotHeader {
  readonly date: string;
  /** Number of partials merged (= `objects.length`). */
  readonly version: number;
  /** Object ids of the partials merged, sorted. */
  readonly objects: readonly string[];
  /** The finalized items of the merged state (no `version` / `updated_at`). */
  readonly items: readonly KpiItem[];
  /** Genres whose item differs from the previous snapshot's (all genres for the first). */
  readonly changed: readonly string[];
}

/** A decoded snapshot. */
export interface Snapshot {
  readonly header: SnapshotHeader;
  /** The merged state (core's `serializeKpiState` bytes). */
  readonly state: Uint8Array;
}

const MAGIC = Buffer.from('SKSNAP1\n', 'latin1');

/** Encodes a snapshot object. */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const header = Buffer.from(JSON.stringify(snapshot.header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.byteLength);
  return Buffer.concat([MAGIC, length, header, snapshot.state]);
}

/** Decodes a snapshot object; `STATE_CORRUPT` when it is not one. */
export function decodeSnapshot(bytes: Uint8Array, key: string): Snapshot {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = MAGIC.byteLength + 4;
  if (buf.byteLength < start || !buf.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
    throw new PipelineError('STATE_CORRUPT', `State object ${key} is not a KPI snapshot`);
  }
  const length = buf.readUInt32BE(MAGIC.byteLength);
  if (buf.byteLength < start + length) {
    throw new PipelineError('STATE_CORRUPT', `State object ${key} is truncated`);
  }
  let header: SnapshotHeader;
  try {
    header = JSON.parse(buf.subarray(start, start + length).toString('utf8')) as SnapshotHeader;
  } catch (cause) {
    throw new PipelineError('STATE_CORRUPT', `State object ${key} has a bad header`, { cause });
  }
  return { header, state: buf.subarray(start + length) };
}

/** Names a set of object ids (order-free): 16 hex digits of sha256 over the sorted ids. */
export function setIdOf(objects: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of [...objects].sort()) hash.update(`${id}\n`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Comparable text of an item's KPI attributes, bookkeeping left out
 * (`finalizeKpis` builds every item with the same attribute order).
 */
export function itemFingerprint(item: KpiItem): string {
  const { updated_at: _updatedAt, ...kpi } = item;
  return JSON.stringify(kpi);
}
