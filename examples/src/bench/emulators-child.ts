/**
 * Runs s3rver and dynalite in their own process for the benchmark, so their
 * CPU and memory are not charged to the tool under test. Prints
 * `{"s3":"http://…","dynamodb":"http://…"}` on one line, then serves until
 * stdin closes or a signal arrives. Each line `cpu` on stdin is answered with
 * `{"cpuUs":N}` on one stdout line: this process's CPU time so far (user +
 * system, microseconds), so the harness can charge the emulators' share of a run.
 */
// s3rver ships no types; the s3-source package keeps minimal ones next to its helper.
/// <reference path="../../../packages/s3-source/src/internal/s3rver.d.ts" />
import { createInterface } from 'node:readline';
import { startDynalite } from '@streamkpi/dynamo-sink/testing';
import { startS3rver } from '@streamkpi/s3-source/testing';

const s3 = await startS3rver();
const dynamo = await startDynalite();
process.stdout.write(`${JSON.stringify({ s3: s3.endpoint, dynamodb: dynamo.endpoint })}\n`);

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await Promise.allSettled([s3.close(), dynamo.close()]);
  process.exit(0);
}
const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() !== 'cpu') return;
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuUs: cpu.user + cpu.system })}\n`);
});
// readline closes the interface when stdin ends.
commands.on('close', close);
process.on('SIGTERM', close);
process.on('SIGINT', close);
