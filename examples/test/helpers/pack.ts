/**
 * The workspace's packages as npm users get them: built (`tsc -b`, as
 * `pnpm build`), packed with `pnpm pack`, installed into a fresh project
 * outside the workspace (nothing resolves through workspace links or the
 * `source` condition). The install is a real `pnpm install --prefer-offline`:
 * tarballs come from the pnpm store that `pnpm install` of the workspace
 * filled, the registry is asked only for metadata it has not cached.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './spawn-cli.js';

const run = promisify(execFile);
/** The workspace's TypeScript compiler. */
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** The library packages (folder names under `packages/`). */
export const PACKAGES = ['core', 's3-source', 'dynamo-sink'] as const;

/**
 * The environment without the outer pnpm run's `npm_*` / `pnpm_*` settings,
 * test-runner flags and AWS settings, plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm|pnpm|AWS)_/i.test(k) || k === 'NODE_TEST_CONTEXT' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs `file args` in `cwd`; resolves to stdout, rejects with stdout and stderr in the message. */
export async function sh(
  file: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<string> {
  try {
    const { stdout } = await run(file, [...args], {
      cwd,
      env: cleanEnv(env),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${file} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      { cause: error },
    );
  }
}

/** The packed tarballs: package name → `file:` spec. */
export interface Packed {
  /** The three libraries. */
  readonly libraries: ReadonlyMap<string, string>;
  /** `@streamkpi/examples`, the package of the `kpis` command. */
  readonly runner: string;
}

/** Builds and packs the libraries and the runner into `dir`. */
export async function packWorkspace(dir: string): Promise<Packed> {
  await sh(
    process.execPath,
    [
      TSC,
      '-b',
      ...PACKAGES.map((p) => `packages/${p}/tsconfig.build.json`),
      'examples/tsconfig.build.json',
    ],
    ROOT,
  );
  await mkdir(dir, { recursive: true });
  for (const p of PACKAGES) {
    await sh('pnpm', ['pack', '--pack-destination', dir], join(ROOT, 'packages', p));
  }
  await sh('pnpm', ['pack', '--pack-destination', dir], join(ROOT, 'examples'));
  const files = await readdir(dir);
  const libraries = new Map<string, string>();
  for (const file of files) {
    const name = PACKAGES.find((p) => file === `streamkpi-${p}-0.1.0.tgz`);
    if (name) libraries.set(`@streamkpi/${name}`, `file:${join(dir, file)}`);
  }
  assert.equal(libraries.size, 3, `tarballs: ${files.join(', ')}`);
  assert.ok(files.includes('streamkpi-examples-0.1.0.tgz'), `tarballs: ${files.join(', ')}`);
  return { libraries, runner: `file:${join(dir, 'streamkpi-examples-0.1.0.tgz')}` };
}

/**
 * Creates the project `dir` with `dependencies` and installs it. The
 * packages depend on each other by version (^0.1.0), which is not on the
 * registry: `tarballs` point those dependencies at the local files.
 * `allowBuilds` names the dependencies whose install scripts may run.
 */
export async function installProject(
  dir: string,
  dependencies: Readonly<Record<string, string>>,
  tarballs: ReadonlyMap<string, string>,
  allowBuilds: readonly string[] = [],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'streamkpi-consumer', private: true, type: 'module', dependencies }),
  );
  await writeFile(
    join(dir, 'pnpm-workspace.yaml'),
    [
      'overrides:',
      ...[...tarballs].map(([n, spec]) => `  "${n}": "${spec}"`),
      ...(allowBuilds.length === 0
        ? []
        : ['allowBuilds:', ...allowBuilds.map((n) => `  "${n}": true`)]),
      '',
    ].join('\n'),
  );
  // CI=true may turn on --frozen-lockfile; this fresh project has no lockfile.
  await sh(
    'pnpm',
    ['install', '--prefer-offline', '--no-frozen-lockfile', '--reporter=silent'],
    dir,
  );
}
