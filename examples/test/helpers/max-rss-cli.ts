/**
 * The `kpis` CLI with the process's peak RSS (worker threads included)
 * written to stderr as `max-rss-bytes=<n>` when it exits: memory tests read
 * the real peak instead of the run's own samples.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nmax-rss-bytes=${process.resourceUsage().maxRSS * 1024}\n`);
});
await import('../../src/cli.js');
