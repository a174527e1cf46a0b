/**
 * Paths on the command line are relative to the folder the user typed the
 * command in. Run as the repository's `pnpm kpis` script, the process starts
 * in the repository root, and pnpm passes the caller's folder as `INIT_CWD`;
 * run as the installed `kpis` command, it is the working directory.
 */
import { resolve } from 'node:path';

/** The caller's folder. */
export function callerDir(env: NodeJS.ProcessEnv = process.env): string {
  const viaScript = env.npm_lifecycle_event === 'kpis' && env.INIT_CWD !== undefined;
  return viaScript ? (env.INIT_CWD as string) : process.cwd();
}

/** `path` resolved against the caller's folder (`-` stays `-`). */
export function callerPath(path: string): string {
  return path === '-' ? path : resolve(callerDir(), path);
}
