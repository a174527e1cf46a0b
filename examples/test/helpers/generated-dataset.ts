/**
 * A generated dataset in a temporary folder for the tests of one file or
 * suite: generated in `before`, deleted in `after`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type GenerateOptions, generateDataset, type Manifest } from '../../src/generate/index.js';

/** The temporary folder, the dataset folder in it and the dataset's manifest (read after `before`). */
export interface GeneratedDataset {
  /** The temporary folder (room for outputs beside the dataset). */
  readonly root: string;
  /** The dataset folder, `root/data`. */
  readonly dir: string;
  readonly manifest: Manifest;
}

/**
 * Registers `before`/`after` hooks (in the surrounding suite, or the file)
 * that generate a dataset of `options` under a fresh temporary folder named
 * from `prefix`, and delete it.
 */
export function useGeneratedDataset(
  prefix: string,
  options: Omit<GenerateOptions, 'dir'>,
): GeneratedDataset {
  const data = {} as { root: string; dir: string; manifest: Manifest };
  before(async () => {
    data.root = await mkdtemp(join(tmpdir(), prefix));
    data.dir = join(data.root, 'data');
    data.manifest = await generateDataset({ ...options, dir: data.dir });
  });
  after(async () => {
    // Unset when the folder could not be made.
    if (data.root !== undefined) await rm(data.root, { recursive: true, force: true });
  });
  return data;
}
