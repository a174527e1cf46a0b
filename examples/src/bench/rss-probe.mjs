// Preloaded into every measured process (NODE_OPTIONS=--import=…): at exit,
// appends "<pid> <peak RSS in kB>" to $BENCH_RSS_FILE. Plain JS so it loads
// before any TypeScript loader. ru_maxrss covers worker threads (same process).
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      appendFileSync(file, `${process.pid} ${process.resourceUsage().maxRSS}\n`);
    } catch {
      // Nothing sensible to do while exiting; the harness reports a missing figure.
    }
  });
}
