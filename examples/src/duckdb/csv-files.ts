/**
 * The CSV side of the DuckDB oracle: which files a dataset folder holds,
 * their headers, and loading them into DuckDB tables with rows the reader
 * cannot fit to the header counted instead of loaded.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** `name.csv[.gz]` or the `.csv[.gz]` files of `name/` under `input`, sorted. */
export async function datasetFiles(input: string, name: string): Promise<string[]> {
  const single = join(input, `${name}.csv`);
  if (existsSync(single)) return [single];
  if (existsSync(`${single}.gz`)) return [`${single}.gz`];
  const dir = join(input, name);
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) return [];
  return (await readdir(dir))
    .filter((f) => f.endsWith('.csv') || f.endsWith('.csv.gz'))
    .sort()
    .map((f) => join(dir, f));
}

const CSV_OPTS = `header=true, all_varchar=true, delim=',', quote='"', escape='"', auto_detect=false`;

/** The rows of a query as JSON-compatible objects. */
export async function rows(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** The header fields of a CSV file (first line; BOM and surrounding quotes removed). */
export async function headerOf(file: string): Promise<string[]> {
  const source = createReadStream(file);
  const text = file.endsWith('.gz') ? source.pipe(createGunzip()) : source;
  let head = '';
  try {
    for await (const chunk of text) {
      head += (chunk as Buffer).toString('utf8');
      if (head.includes('\n') || head.length > 1 << 20) break;
    }
  } finally {
    source.destroy();
  }
  const line = (head.split('\n')[0] ?? '').replace(/^\uFEFF/, '').replace(/\r$/, '');
  return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
}

/**
 * A `read_csv` over `files` (all with `header`) selecting `columns`, rows
 * that do not fit the header going to the rejects table `rejects`.
 */
export function readCsvSql(
  files: readonly string[],
  header: readonly string[],
  columns: readonly string[],
  rejects: string,
): string {
  const types = header.map((h) => `${sqlString(h)}: 'VARCHAR'`).join(', ');
  const list = files.length === 1 ? sqlString(files[0]!) : `[${files.map(sqlString).join(', ')}]`;
  return `SELECT ${columns.map((col) => `"${col}"`).join(', ')}
    FROM read_csv(${list}, ${CSV_OPTS}, columns={${types}}, ignore_errors=true,
                  store_rejects=true, rejects_table='rej_${rejects}', rejects_scan='rejscan_${rejects}')`;
}

/** The files that have every one of `columns`, with their headers, and how many do not. */
async function withColumns(files: readonly string[], columns: readonly string[]) {
  const headed: { file: string; header: string[] }[] = [];
  for (const file of files) {
    const header = await headerOf(file);
    if (columns.every((col) => header.includes(col))) headed.push({ file, header });
  }
  return { headed, filesRejected: files.length - headed.length };
}

/**
 * Groups `files` by header, skipping those without every required column:
 * one `read_csv` reads all the files of a group.
 */
export async function filesByHeader(
  files: readonly string[],
  columns: readonly string[],
): Promise<{ groups: { header: string[]; files: string[] }[]; filesRejected: number }> {
  const groups = new Map<string, { header: string[]; files: string[] }>();
  const { headed, filesRejected } = await withColumns(files, columns);
  for (const { file, header } of headed) {
    const key = JSON.stringify(header);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { header, files: [file] });
    else group.files.push(file);
  }
  return { groups: [...groups.values()], filesRejected };
}

/**
 * Loads the given columns of CSV files into `table` in file order (with
 * `preserve_insertion_order`, `rowid` then follows file order), skipping files
 * without the required columns. Rows the reader
 * cannot fit to the header are not loaded; returns how many there were.
 */
export async function load(
  c: DuckDBConnection,
  table: string,
  files: readonly string[],
  columns: readonly string[],
): Promise<{ rejectedRows: number; filesRejected: number }> {
  const cols = columns.map((col) => `${col} VARCHAR`).join(', ');
  await c.run(`CREATE OR REPLACE TEMP TABLE ${table} (${cols})`);
  let rejectedRows = 0;
  const { headed, filesRejected } = await withColumns(files, columns);
  for (const { file, header } of headed) {
    await c.run(`INSERT INTO ${table} ${readCsvSql([file], header, columns, table)}`);
    // The rejects table accumulates over scans: count this scan's lines only.
    const [r] = await rows(
      c,
      `SELECT count(DISTINCT line) AS n FROM rej_${table}
       WHERE scan_id = (SELECT max(scan_id) FROM rej_${table})`,
    );
    rejectedRows += Number(r?.n ?? 0);
  }
  return { rejectedRows, filesRejected };
}
