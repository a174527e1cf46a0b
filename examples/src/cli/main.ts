/**
 * The `kpis` CLI: parses the command line and runs a command. Returns the
 * exit code instead of exiting, so tests and other tools can call it.
 */
import { parseCliArgs, USAGE } from './args.js';
import { generateCommand } from './commands/generate.js';
import { localCommand } from './commands/local.js';
import { runCommand, watchCommand } from './commands/run.js';
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
    case 'run':
      return runCommand(args, ctx);
    case 'watch':
      return watchCommand(args, ctx);
    case 'local':
      return localCommand(args, ctx);
    case 'generate':
      return generateCommand(args, ctx);
  }
}
