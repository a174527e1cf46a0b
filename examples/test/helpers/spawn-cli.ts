/**
 * Runs the real `kpis` CLI (examples/src/cli.ts) as a child process, the way
 * `pnpm kpis` does, with AWS settings given through the environment only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '../../..');
/** The CLI entry point. */
export const CLI = join(ROOT, 'examples/src/cli.ts');
/** tsx's loader by URL: a child may start in a folder outside the repository. */
export const TSX = import.meta.resolve('tsx');

/** Output of a finished child. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for an emulator pair: endpoints, region and the s3rver credentials. */
export function emulatorEnv(s3: string, dynamodb: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
}

/** Settings of a child; an `env` value of `undefined` removes the variable. */
export type ChildEnv = Record<string, string | undefined>;

/**
 * Starts `node <script> ...args` with `env` added to a copy of this
 * process's env, in `cwd` (default the repository root). The SDK's Node
 * version warning is off unless `env` removes that setting.
 */
export function startScript(
  script: string,
  args: readonly string[],
  env: ChildEnv = {},
  cwd: string = ROOT,
): ChildProcess {
  const childEnv: ChildEnv = { ...process.env };
  // No profile or ambient credentials may leak into the child.
  for (const key of Object.keys(childEnv)) if (key.startsWith('AWS_')) delete childEnv[key];
  const merged: ChildEnv = {
    ...childEnv,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...env,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return spawn(process.execPath, ['--conditions=source', '--import', TSX, script, ...args], {
    cwd,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output until it exits. */
export async function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Runs `kpis <args>` to completion. */
export async function runCli(
  args: readonly string[],
  env: ChildEnv = {},
  cwd: string = ROOT,
): Promise<CliResult> {
  return collect(startScript(CLI, args, env, cwd));
}

/** Resolves with the child's stdout so far once `pattern` matches it. */
export function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: string) => {
      text += d;
      if (pattern.test(text)) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(text);
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`exited with ${code} before printing ${pattern}:\n${text}`));
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
  });
}
