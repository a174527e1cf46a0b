/**
 * The in-test oracle for a generated dataset folder: reads the CSV files with
 * the simple RFC 4180 reader, validates rows with the core zod schemas
 * (ragged rows rejected, as the pipeline does), and computes the KPIs with
 * the core oracle. Unknown tracks are dropped by the oracle itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type KpiItem,
  type SongRow,
  type StreamRow,
  songRowSchema,
  streamRowSchema,
} from '@streamkpi/core';
import { oracleKpis } from '../../../packages/core/test/helpers/oracle.js';
import { comparable } from '../../src/bench/compare.js';
import { parseCsv } from './rfc4180.js';

async function records(path: string): Promise<{ valid: Record<string, string>[]; ragged: number }> {
  const [header, ...rows] = parseCsv(await readFile(path, 'utf8'));
  if (header === undefined) return { valid: [], ragged: 0 };
  const valid: Record<string, string>[] = [];
  let ragged = 0;
  for (const row of rows) {
    if (row.length !== header.length) {
      ragged++;
      continue;
    }
    valid.push(Object.fromEntries(header.map((h, i) => [h, row[i] as string])));
  }
  return { valid, ragged };
}

async function csvFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(dir, f));
}

/** Oracle KPIs and row counts of an uncompressed generated dataset at `dir`. */
export async function datasetOracle(dir: string): Promise<{
  items: KpiItem[];
  rowsRead: number;
  rowsSchemaRejected: number;
}> {
  const songs: SongRow[] = [];
  for (const f of await csvFiles(join(dir, 'songs'))) {
    for (const r of (await records(f)).valid) {
      const v = songRowSchema.safeParse(r);
      if (v.success) songs.push(v.data);
    }
  }
  const streams: StreamRow[] = [];
  let rowsRead = 0;
  let rejected = 0;
  for (const f of await csvFiles(join(dir, 'streams'))) {
    const { valid, ragged } = await records(f);
    rowsRead += valid.length + ragged;
    rejected += ragged;
    for (const r of valid) {
      const v = streamRowSchema.safeParse(r);
      if (v.success) streams.push(v.data);
      else rejected++;
    }
  }
  return { items: oracleKpis(songs, streams), rowsRead, rowsSchemaRejected: rejected };
}

/** Items of any tool (plain JSON or DynamoDB read-back) reduced to comparable values, sorted. */
export function comparableItems(items: readonly object[]) {
  return items
    .map((i) => comparable(i as Record<string, unknown>))
    .sort((a, b) =>
      a.date === b.date ? (a.track_genre < b.track_genre ? -1 : 1) : a.date < b.date ? -1 : 1,
    );
}
