/**
 * Entry point of `pnpm kpis <command>`; see `cli/args.ts` for the flags.
 */
import { main } from './cli/main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly: SDK keep-alive sockets or a pending timer must not keep a finished run alive.
process.exit(code);
