/**
 * The runner's version, from its package.json (two folders up from this
 * module in both `src/cli/` and the built `dist/cli/`).
 */
import { readFileSync } from 'node:fs';

/** `name` and `version` of the package the CLI ships in. */
export function packageInfo(): { readonly name: string; readonly version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: pkg.name, version: pkg.version };
}
