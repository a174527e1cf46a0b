/**
 * Lookup tables as bytes (`SongsTable#toBytes` / `SongsTable.fromBytes`),
 * e.g. to cache them on disk between runs: reading
 * a songs table back takes one copy of its arrays, where building it again
 * parses, validates and interns every song row. The bytes are the table's
 * shared-memory form (the one worker threads receive): its arrays, its
 * `track_id` index, its strings as UTF-16 code units and its track
 * dictionary, behind a JSON header; a table read back lives on shared
 * memory like a worker's copy.
 */
import { encodedDictionary } from '../aggregate/internal/kpi-encoded-dictionary.js';
import { PipelineError } from '../errors.js';
import {
  type SongsTableData,
  songsTableData,
  songsTableFromData,
} from '../pool/internal/table-transfer.js';
import { INLINE_WIDTH } from './internal/inline-keys.js';
import { POOLED_WIDTH } from './internal/string-index.js';
import type { SongsTable } from './songs-table.js';
import { type UsersTable, usersTableFromIds } from './users-table.js';

/** The format's name and version: bumped whenever the bytes change, so old bytes are refused. */
const MAGIC = 'streamkpi-tables/3';

type TypedArray = Int32Array | Uint16Array | Float64Array | Uint8Array;
const TYPES = { Int32Array, Uint16Array, Float64Array, Uint8Array } as const;
type TypeName = keyof typeof TYPES;

/** Where each array sits after the header. */
interface ArrayEntry {
  readonly name: string;
  readonly type: TypeName;
  readonly offset: number;
  readonly length: number;
}

interface Header {
  readonly magic: string;
  readonly genres: readonly string[];
  readonly stats: SongsTableData['stats'];
  readonly dictionary: { readonly size: number; readonly conflicts: boolean };
  /** Ints per slot of the `track_id` index (its layout). */
  readonly indexWidth: number;
  readonly hasUsers: boolean;
  readonly arrays: readonly ArrayEntry[];
}

function corrupt(message: string): never {
  throw new PipelineError('TABLES_CORRUPT', `Encoded lookup tables: ${message}`);
}

function indexWidth(width: unknown): number {
  if (width !== POOLED_WIDTH && width !== INLINE_WIDTH) corrupt('unknown index layout');
  return width;
}

/**
 * Encodes a songs table (and optionally a users table) as bytes for
 * {@link decodeTables}.
 */
export function encodeTables(songs: SongsTable, users?: UsersTable): Uint8Array {
  // Built here once, the encoded track entries are read back with the table.
  const encoded = encodedDictionary(songs.trackDictionary());
  const data = songsTableData(songs);
  const named: [string, TypedArray][] = [
    ['pairStart', data.pairStart],
    ['pairGenre', data.pairGenre],
    ['pairDuration', data.pairDuration],
    ['idStart', data.strings.idStart],
    ['nameUnits', data.strings.nameUnits],
    ['nameStart', data.strings.nameStart],
    ['slots', data.index.slots],
    ['pool', data.index.pool],
    ['pairEntry', data.dictionary.pairEntry],
    ['entryTrack', data.dictionary.entryTrack],
    ['entryPair', data.dictionary.entryPair],
    ['encodedOrder', encoded.order],
    ['encodedStart', encoded.start],
    ['encodedBytes', encoded.bytes],
  ];
  if (users !== undefined) named.push(['userIds', users.ids()]);
  const arrays: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, array] of named) {
    arrays.push({ name, type: array.constructor.name as TypeName, offset, length: array.length });
    // Each array starts 8-aligned, so it can be viewed where it lies.
    offset += Math.ceil(array.byteLength / 8) * 8;
  }
  const header: Header = {
    magic: MAGIC,
    genres: data.genres,
    stats: data.stats,
    dictionary: { size: data.dictionary.size, conflicts: data.dictionary.conflicts },
    indexWidth: data.index.width,
    hasUsers: users !== undefined,
    arrays,
  };
  const json = Buffer.from(JSON.stringify(header));
  const start = 8 + Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(start + offset);
  new DataView(out.buffer).setFloat64(0, json.length);
  out.set(json, 8);
  for (let i = 0; i < named.length; i++) {
    const array = named[i]![1];
    out.set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      start + arrays[i]!.offset,
    );
  }
  return out;
}

/**
 * The tables of {@link encodeTables} bytes, on fresh shared memory.
 *
 * @throws PipelineError `TABLES_CORRUPT` for bytes that are not an encoded table.
 */
export function decodeTables(bytes: Uint8Array): { songs: SongsTable; users?: UsersTable } {
  if (bytes.byteLength < 8) corrupt('too short');
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
  if (!Number.isInteger(jsonLength) || jsonLength < 2 || 8 + jsonLength > bytes.byteLength) {
    corrupt('bad header length');
  }
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, jsonLength).toString());
  } catch (cause) {
    throw new PipelineError('TABLES_CORRUPT', 'Encoded lookup tables: header is not JSON', {
      cause,
    });
  }
  if (header?.magic !== MAGIC) corrupt(`expected format ${MAGIC}`);
  const start = 8 + Math.ceil(jsonLength / 8) * 8;
  const arrays = new Map<string, TypedArray>();
  for (const a of header.arrays) {
    const Type = TYPES[a.type];
    if (Type === undefined) corrupt(`unknown array type ${String(a.type)}`);
    const byteLength = a.length * Type.BYTES_PER_ELEMENT;
    if (start + a.offset + byteLength > bytes.byteLength) corrupt(`array ${a.name} is cut off`);
    const buffer = new SharedArrayBuffer(byteLength);
    new Uint8Array(buffer).set(bytes.subarray(start + a.offset, start + a.offset + byteLength));
    // The union of constructors cannot be called on a SharedArrayBuffer in TS's eyes.
    arrays.set(a.name, new (Type as unknown as new (b: SharedArrayBuffer) => TypedArray)(buffer));
  }
  const get = <T extends TypedArray>(name: string, Type: new (...args: never[]) => T): T => {
    const a = arrays.get(name);
    if (!(a instanceof Type)) corrupt(`array ${name} is missing`);
    return a;
  };
  const size = header.dictionary.size;
  const encoded = {
    order: get('encodedOrder', Int32Array),
    start: get('encodedStart', Int32Array),
    bytes: get('encodedBytes', Uint8Array),
  };
  if (
    encoded.order.length !== size ||
    encoded.start.length !== size + 1 ||
    encoded.start[size] !== encoded.bytes.length
  ) {
    corrupt('the encoded track dictionary does not fit the dictionary');
  }
  const songs = songsTableFromData({
    genres: header.genres,
    stats: header.stats,
    strings: {
      idStart: get('idStart', Int32Array),
      nameUnits: get('nameUnits', Uint16Array),
      nameStart: get('nameStart', Int32Array),
    },
    pairStart: get('pairStart', Int32Array),
    pairGenre: get('pairGenre', Int32Array),
    pairDuration: get('pairDuration', Float64Array),
    index: {
      slots: get('slots', Int32Array),
      pool: get('pool', Uint16Array),
      width: indexWidth(header.indexWidth),
    },
    dictionary: {
      size: header.dictionary.size,
      conflicts: header.dictionary.conflicts,
      pairEntry: get('pairEntry', Int32Array),
      entryTrack: get('entryTrack', Int32Array),
      entryPair: get('entryPair', Int32Array),
      encoded,
    },
  });
  if (!header.hasUsers) return { songs };
  return { songs, users: usersTableFromIds(get('userIds', Float64Array)) };
}
