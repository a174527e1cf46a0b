/**
 * The READMEs stay true: the TypeScript snippets of the repository's and
 * core's README type-check with the repository's strict settings (each as a
 * module inside `examples/`, so imports resolve as in a user's project; never
 * written to disk), and the CLI reference is what `kpis <command> --help`
 * prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { COMMANDS, type Command } from '../src/cli/commands-spec.js';
import { usage } from '../src/cli/usage.js';
import { ROOT } from './helpers/spawn-cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The READMEs whose snippets are type-checked. */
const SNIPPET_READMES = ['README.md', 'packages/core/README.md'];

/** A ```ts block and the `<!-- snippet context: … -->` declarations right above it. */
interface Snippet {
  readonly line: number;
  readonly context: string;
  readonly code: string;
}

function snippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const fence = /(?:<!-- snippet context: ([\s\S]*?) -->\n\n)?```ts\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(fence)) {
    const line = markdown.slice(0, m.index).split('\n').length;
    out.push({ line, context: m[1] ?? '', code: m[2] ?? '' });
  }
  return out;
}

/** Type-checks `files` (path → text) as part of `examples/`; returns the diagnostics as text. */
function typeCheck(files: ReadonlyMap<string, string>): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'examples/tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  assert.ok(config !== undefined);
  const options: ts.CompilerOptions = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) => {
    const text = files.get(name);
    return text === undefined
      ? getSourceFile(name, version, onError, create)
      : ts.createSourceFile(name, text, version, true);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : '';
    return `${where} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('README', () => {
  it('has TypeScript snippets that pass the strict type-check', { timeout: 180_000 }, () => {
    const files = new Map<string, string>();
    for (const readme of SNIPPET_READMES) {
      const found = snippets(readFileSync(join(ROOT, readme), 'utf8'));
      assert.ok(found.length >= 3, `${readme}: ${found.length} snippets`);
      const slug = readme.replaceAll(/[^A-Za-z0-9]+/g, '-');
      for (const s of found) {
        // The context line keeps the snippet's line numbers in the messages one off.
        const name = join(ROOT, 'examples', 'src', `${slug}-line-${s.line + 1}.ts`);
        files.set(name, `${s.context}\n${s.code}\nexport {};\n`);
      }
    }
    // A control in the same program: the check finds what it must find.
    const control = join(ROOT, 'examples', 'src', 'readme-control.ts');
    files.set(
      control,
      "import { finalizeKpis, mergeKpiStates, type KpiState } from '@streamkpi/core';\nconst states: KpiState[] = [];\nfinalizeKpis(mergeKpiStates(states[0], ...states.slice(1)));\nexport {};\n",
    );
    const errors = typeCheck(files);
    const [controlError, ...others] = errors.filter((e) => e.startsWith(`${control}:`));
    assert.match(controlError ?? '', /TS2345 .*'KpiState \| undefined'/);
    assert.deepEqual(others, []);
    assert.deepEqual(
      errors.filter((e) => !e.startsWith(`${control}:`)),
      [],
    );
  });

  it('has a CLI reference equal to the help of every command', () => {
    const blocks = new Map<string, string>();
    for (const m of README.matchAll(/```text\n\$ kpis (?:(\w+) )?--help\n([\s\S]*?)\n```/g)) {
      blocks.set(m[1] ?? '', m[2] ?? '');
    }
    assert.equal(blocks.get(''), usage(), 'kpis --help');
    for (const command of Object.keys(COMMANDS) as Command[]) {
      assert.equal(blocks.get(command), usage(command), `kpis ${command} --help`);
    }
    assert.equal(blocks.size, Object.keys(COMMANDS).length + 1);
  });
});
