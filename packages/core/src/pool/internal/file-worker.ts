/** The default worker module of `createAggregatePool`: tasks name local files. */
import { createReadStream } from 'node:fs';
import { PipelineError } from '../../errors.js';
import { createAggregateWorkerTask } from '../aggregate-worker-task.js';

export default createAggregateWorkerTask((input) => {
  const path = (input as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') {
    throw new PipelineError(
      'POOL_INPUT',
      'Expected the task input `{ path: string }` of a local file',
    );
  }
  return createReadStream(path);
});
