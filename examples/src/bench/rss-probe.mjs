// Preloaded into every measured process (NODE_OPTIONS=--import=…): at exit,
// appends "<pid> <peak RSS in kB> <CPU time in µs>" to $BENCH_RSS_FILE (CPU =
// user + system). Plain JS so it loads before any TypeScript loader.
// ru_maxrss and the CPU time cover worker threads (same process).
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const cpu = process.cpuUsage();
      appendFileSync(
        file,
        `${process.pid} ${process.resourceUsage().maxRSS} ${cpu.user + cpu.system}\n`,
      );
    } catch {
      // Nothing sensible to do while exiting; the harness reports a missing figure.
    }
  });
}
