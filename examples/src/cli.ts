#!/usr/bin/env node
/**
 * Entry point of the `kpis` command (`pnpm kpis` in the repository); see
 * `cli/commands-spec.ts` for the commands and flags.
 */

// The AWS SDK warns on every client about Node 20's end of support (a
// 9-line warning, several times a run); an operator cannot act on it in
// the middle of a run. Set before any SDK module loads (worker threads
// inherit it). An explicit setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `kpis … | head` closes stdout early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const { main } = await import('./cli/main.js');
const code = await main(process.argv.slice(2));
// Exit explicitly: SDK keep-alive sockets or a pending timer must not keep a finished run alive.
process.exit(code);
