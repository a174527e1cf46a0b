/**
 * The `kpis` CLI: parses the command line and runs a command. Returns the
 * exit code instead of exiting, so tests and other tools can call it.
 */
import { parseCliArgs, USAGE } from './args.js';
import type { CliContext } from './context.js';
import { classifyError, EXIT } from './errors.js';
import { createLogger } from './logger.js';

/** Output channels of {@link main}; default process stdout/stderr and a pino logger. */
export type MainOptions = Partial<CliContext>;

/** Runs the CLI with `argv` (arguments after the script name) and resolves to the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const ctx: CliContext = {
    print: options.print ?? ((text) => process.stdout.write(text)),
    printError: options.printError ?? ((text) => process.stderr.write(text)),
    logger: options.logger ?? createLogger(),
  };
  // `dashboard` parses its own flags: it shares none of the pipeline's options.
  if (argv[0] === 'dashboard') {
    return (await import('./commands/dashboard.js')).dashboardCommand(argv.slice(1), ctx);
  }
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    const c = classifyError(error);
    ctx.printError(`kpis: ${c.message}\nRun 'pnpm kpis --help' for usage.\n`);
    return c.exitCode;
  }
  switch (args.command) {
    case 'help':
      ctx.print(`${USAGE}\n`);
      return EXIT.ok;
    // Each command loads its own modules: `local` does not pay for the AWS SDK.
    case 'run':
      return (await import('./commands/run.js')).runCommand(args, ctx);
    case 'watch':
      return (await import('./commands/run.js')).watchCommand(args, ctx);
    case 'local':
      return (await import('./commands/local.js')).localCommand(args, ctx);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(args, ctx);
    case 'generate':
      return (await import('./commands/generate.js')).generateCommand(args, ctx);
  }
}
