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

/** Starts `node <script> ...args` with `env` added to a copy of this process's env. */
export function startScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): ChildProcess {
  const childEnv: Record<string, string | undefined> = { ...process.env };
  // No profile or ambient credentials may leak into the child.
  for (const key of Object.keys(childEnv)) if (key.startsWith('AWS_')) delete childEnv[key];
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...childEnv, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
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
  env: Record<string, string> = {},
): Promise<CliResult> {
  return collect(startScript(CLI, args, env));
}
