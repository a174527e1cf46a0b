/**
 * The `kpis` CLI at its edges, as a user meets them: each case asserts the
 * message a user reads and the documented exit code, through the real
 * process (or `main`, where no process is needed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS, type Command } from '../src/cli/commands-spec.js';
import { createLogger, humanLine } from '../src/cli/logger.js';
import { main } from '../src/cli/main.js';
import { useGeneratedDataset } from './helpers/generated-dataset.js';
import { CLI, ROOT, runCli, TSX } from './helpers/spawn-cli.js';

const silent = createLogger('silent');

/** `main` with its output captured. */
async function kpis(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    logger: silent,
    print: (t) => (out += t),
    printError: (t) => (err += t),
  });
  return { code, out, err };
}

describe('kpis help, version and flag mistakes', () => {
  it('prints the version of its package with --version and -V', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'examples/package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = await kpis([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.out, `kpis ${pkg.version}\n`);
    }
  });

  it('prints each command’s own help, not the global one', async () => {
    for (const command of Object.keys(COMMANDS) as Command[]) {
      for (const argv of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ]) {
        const r = await kpis(argv);
        assert.equal(r.code, 0, argv.join(' '));
        assert.ok(r.out.startsWith(`Usage: ${COMMANDS[command].usage}\n`), argv.join(' '));
        for (const flag of COMMANDS[command].flags) assert.ok(r.out.includes(`--${flag.name}`));
        assert.doesNotMatch(r.out, /^Commands:/m, `${argv.join(' ')} printed the global help`);
      }
    }
    const top = await kpis(['--help']);
    for (const command of Object.keys(COMMANDS)) {
      assert.match(top.out, new RegExp(`^ {2}${command} +\\S`, 'm'));
    }
    assert.match(top.out, /^Exit codes:/m);
  });

  it('suggests the flag or command a typo meant, with exit 2', async () => {
    const cases: [string[], string][] = [
      [
        ['local', '--inptu', 'x', '--out', '-'],
        'kpis local: unknown flag --inptu (did you mean --input?)',
      ],
      [
        ['run', '--bucket', 'bbb', '--tabel', 'ttt'],
        'kpis run: unknown flag --tabel (did you mean --table?)',
      ],
      [['status', '--jsn'], 'kpis status: unknown flag --jsn (did you mean --json?)'],
      [['wacth'], 'Unknown command "wacth" (did you mean watch?)'],
    ];
    for (const [argv, message] of cases) {
      const r = await kpis(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.ok(r.err.includes(message), r.err);
      assert.match(r.err, /Run 'kpis( \w+)? --help' for usage\./);
    }
  });

  it('names --table and --bucket in user terms, not the library’s option names', async () => {
    const table = await kpis(['run', '--bucket', 'bbb', '--table', 't1']);
    assert.equal(table.code, 2);
    assert.match(
      table.err,
      /Expected --table to be a DynamoDB table name: 3–255 characters .*, got "t1"/,
    );
    const bucket = await kpis(['status', '--bucket', 'b', '--table', 'ttt']);
    assert.equal(bucket.code, 2);
    assert.match(
      bucket.err,
      /Expected --bucket to be an S3 bucket name: 3–63 characters .*, got "b"/,
    );
    for (const r of [table, bucket]) {
      assert.doesNotMatch(r.err, /tableName|runKpis|Too small|Invalid .* options/);
    }
  });
});

describe('kpis local output edges', () => {
  // 7 days × 40 genres: about 280 items, far more than a pipe holds.
  const data = useGeneratedDataset('kpis-edges-', {
    streamRows: 6000,
    streamFiles: 2,
    days: 7,
    genres: 40,
    songsPerGenre: 20,
    users: 500,
  });

  it('refuses --out into a missing folder before reading anything: exit 3, a message, no stack', async () => {
    const missing = join(data.root, 'no-such-folder', 'kpis.ndjson');
    const r = await runCli(['local', '--input', data.dir, '--out', missing, '--threads', '0']);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(
      r.stderr.includes(
        `Output folder not found for --out: ${join(data.root, 'no-such-folder')} (create it first)`,
      ),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /Unhandled|ENOENT|\n\s+at /);
  });

  it('exits 0 without an EPIPE error when the reader of --out - stops early (| head)', async () => {
    const child = spawn(
      'bash',
      [
        '-c',
        `set -o pipefail; "${process.execPath}" --conditions=source --import ${TSX} "${CLI}" local --input "${data.dir}" --out - --threads 0 | head -c 200 > /dev/null`,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
  });

  it('resolves relative paths against the caller’s folder and writes nothing into the repository', async () => {
    const before = await readdir(ROOT);
    const r = await runCli(
      ['local', '--input', 'data', '--out', 'kpis.ndjson', '--threads', '0'],
      {},
      data.root,
    );
    assert.equal(r.code, 0, r.stderr);
    const items = (await readFile(join(data.root, 'kpis.ndjson'), 'utf8')).trim().split('\n');
    assert.ok(items.length > 100, `${items.length} items`);
    // The generated data has dirty rows: the dead letter sits next to --out.
    assert.ok((await readdir(data.root)).includes('kpis.ndjson.dead-letter.ndjson'));
    const piped = await runCli(
      ['local', '--input', 'data', '--out', '-', '--threads', '0'],
      {},
      data.root,
    );
    assert.equal(piped.code, 0, piped.stderr);
    const deadLetter = /dead letter: (.+)/.exec(piped.stderr)?.[1] ?? '';
    assert.ok(deadLetter.startsWith(tmpdir()), `dead letter at ${deadLetter}`);
    await rm(deadLetter, { force: true });
    assert.deepEqual(await readdir(ROOT), before);
  });

  it('reports a malformed file by what is wrong, without internal class names', async () => {
    const r = await kpis(['local', '--input', join(data.root, 'missing'), '--out', '-']);
    assert.equal(r.code, 3);
    assert.doesNotMatch(r.err, /\b[A-Z]\w*Error:/);
  });
});

describe('kpis without a region', () => {
  it('exits 3 with a hint to set AWS_REGION', async () => {
    const r = await runCli(['run', '--bucket', 'bbb', '--table', 'ttt'], {
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_CONFIG_FILE: join(tmpdir(), 'kpis-no-such-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'kpis-no-such-credentials'),
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /No AWS region configured\. Set AWS_REGION \(e\.g\. export AWS_REGION=/);
  });
});

describe('kpis logs', () => {
  it('writes readable lines in the human format and JSON lines in the json format', () => {
    const lines: string[] = [];
    const human = createLogger({ format: 'human', level: 'info', write: (l) => lines.push(l) });
    human.warn({ object: 's3://b/streams/x.csv' }, 'quarantined');
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^\d\d:\d\d:\d\d WARN {2}quarantined {2}object=s3:\/\/b\/streams\/x\.csv\n$/,
    );
    const json = '{"level":50,"time":0,"msg":"run failed","code":"X"}';
    assert.equal(humanLine(json), '00:00:00 ERROR run failed  code=X\n');
    const onTerminal: string[] = [];
    createLogger({ terminal: true, level: 'info', write: (l) => onTerminal.push(l) }).info('hello');
    assert.match(onTerminal[0] ?? '', /^\d\d:\d\d:\d\d INFO {2}hello\n$/);
  });

  it('writes JSON lines when stderr is not a terminal, and human lines with --log-format human', async () => {
    const env = { AWS_REGION: 'us-east-1', LOG_LEVEL: 'info' };
    const args = ['local', '--input', join(tmpdir(), 'kpis-no-such-input'), '--out', '-'];
    // Not a terminal (a pipe): JSON lines; the error line itself is plain text.
    const piped = await runCli([...args, '--alert-webhook', 'http://127.0.0.1:9/'], env);
    const logLines = piped.stderr.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(logLines.length > 0, piped.stderr);
    for (const l of logLines)
      assert.equal(typeof (JSON.parse(l) as { msg: unknown }).msg, 'string');
    const human = await runCli(
      [...args, '--alert-webhook', 'http://127.0.0.1:9/', '--log-format', 'human'],
      env,
    );
    assert.doesNotMatch(human.stderr, /^\{/m);
    assert.match(human.stderr, /^\d\d:\d\d:\d\d ERROR run failed/m);
  });
});
