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
  let root: string | undefined;
  let state: GeneratedDataset | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
    const dir = join(root, 'data');
    state = { root, dir, manifest: await generateDataset({ ...options, dir }) };
  });
  after(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });
  const ready = (): GeneratedDataset => {
    if (state === undefined)
      throw new Error('the generated dataset is read before its before hook ran');
    return state;
  };
  return {
    get root() {
      return ready().root;
    },
    get dir() {
      return ready().dir;
    },
    get manifest() {
      return ready().manifest;
    },
  };
}
