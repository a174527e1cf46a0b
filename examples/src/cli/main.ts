/**
 * The `kpis` CLI: parses the command line and runs a command. Returns the
 * exit code instead of exiting, so tests and other tools can call it.
 */
import { type CliArgs, parseCliArgs } from './args.js';
import { COMMANDS } from './commands-spec.js';
import type { CliContext } from './context.js';
import { classifyError, EXIT } from './errors.js';
import { createLogger } from './logger.js';
import { usage } from './usage.js';
import { packageInfo } from './version.js';

/** Output channels of {@link main}; default process stdout/stderr and a logger per the flags. */
export type MainOptions = Partial<CliContext>;

/** Runs the CLI with `argv` (arguments after the script name) and resolves to the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const print = options.print ?? ((text: string) => void process.stdout.write(text));
  const printError = options.printError ?? ((text: string) => void process.stderr.write(text));
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    const c = classifyError(error);
    const [command] = argv;
    const help = command !== undefined && command in COMMANDS ? ` ${command}` : '';
    const message = c.message.startsWith('kpis ') ? c.message : `kpis${help}: ${c.message}`;
    printError(`${message}\nRun 'kpis${help} --help' for usage.\n`);
    return c.exitCode;
  }
  if (args.command === 'help') {
    print(`${usage(args.topic)}\n`);
    return EXIT.ok;
  }
  if (args.command === 'version') {
    print(`kpis ${packageInfo().version}\n`);
    return EXIT.ok;
  }
  const ctx: CliContext = {
    print,
    printError,
    logger: options.logger ?? createLogger({ format: args.logFormat, verbose: args.verbose }),
    verbose: args.verbose,
  };
  // Each command loads its own modules: `local` does not pay for the AWS SDK.
  switch (args.command) {
    case 'run':
      return (await import('./commands/run.js')).runCommand(args, ctx);
    case 'watch':
      return (await import('./commands/watch.js')).watchCommand(args, ctx);
    case 'local':
      return (await import('./commands/local.js')).localCommand(args, ctx);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(args, ctx);
    case 'dashboard':
      return (await import('./commands/dashboard.js')).dashboardCommand(args, ctx);
    case 'generate':
      return (await import('./commands/generate.js')).generateCommand(args, ctx);
    case 'emulators':
      return (await import('./commands/emulators.js')).emulatorsCommand(args, ctx);
  }
}
