/**
 * Help texts of the `kpis` CLI, built from the command table: `kpis --help`
 * and `kpis <command> --help`. The README's CLI reference is these texts
 * verbatim (a test compares them).
 */
import { COMMANDS, COMMON_FLAGS, type Command, type FlagSpec, FOOTER } from './commands-spec.js';

const COLUMN = 26;

function flagLines(flags: readonly FlagSpec[]): string[] {
  const out: string[] = [];
  for (const flag of flags) {
    const name = `${flag.short === undefined ? '' : `-${flag.short}, `}--${flag.name}${flag.value === undefined ? '' : ` ${flag.value}`}`;
    const head = `  ${name}`;
    out.push(
      head.length + 2 > COLUMN
        ? `${head}\n${' '.repeat(COLUMN)}${flag.help}`
        : `${head.padEnd(COLUMN)}${flag.help}`,
    );
    for (const more of flag.more ?? []) out.push(`${' '.repeat(COLUMN)}${more}`);
  }
  return out;
}

/** `kpis --help`. */
export function globalUsage(): string {
  const names = Object.keys(COMMANDS) as Command[];
  const width = Math.max(...names.map((n) => n.length));
  return [
    'Usage: kpis <command> [flags]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`),
    '',
    "Run 'kpis <command> --help' for a command's flags.",
    '',
    'Flags of every command:',
    ...flagLines(COMMON_FLAGS),
    `${`  -V, --version`.padEnd(COLUMN)}print the version`,
    '',
    ...FOOTER,
  ].join('\n');
}

/** `kpis <command> --help`. */
export function commandUsage(command: Command): string {
  const spec = COMMANDS[command];
  return [
    `Usage: ${spec.usage}`,
    '',
    `${spec.summary}.`,
    ...spec.description,
    '',
    'Flags:',
    ...flagLines(spec.flags),
    ...flagLines(COMMON_FLAGS),
    '',
    "Exit codes and the AWS environment: 'kpis --help'.",
  ].join('\n');
}

/** Help of `topic`, or the global help. */
export function usage(topic?: Command): string {
  return topic === undefined ? globalUsage() : commandUsage(topic);
}
