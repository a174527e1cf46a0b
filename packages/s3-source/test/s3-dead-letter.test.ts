import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DeadLetterEntry, OptionsError, PipelineError } from '@streamkpi/core';
import { listObjects, readObject, s3DeadLetter, sourceRefOf } from '../src/index.js';
import { collect, s3Fixture } from './helpers/s3.js';

const bucket = 'dead-bucket';
const { client } = await s3Fixture(bucket);

const source = sourceRefOf({ bucket: 'data', key: 'streams/día 1+2.csv', etag: 'e1' });

function entries(n: number, from = 1): DeadLetterEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    source,
    line: from + i + 1,
    raw: { user_id: `bad-${from + i}`, track_id: 't', listen_time: 'x' },
    reasons: [{ reason: 'invalid_user_id', field: 'user_id', message: 'not an integer' }],
  }));
}

async function stored(
  prefix = 'dead-letter/',
): Promise<{ keys: string[]; lines: DeadLetterEntry[] }> {
  const keys: string[] = [];
  const lines: DeadLetterEntry[] = [];
  for await (const o of listObjects({ client, bucket, prefix, suffixes: [] })) {
    keys.push(o.key);
    const text = (await collect(readObject({ client, bucket, key: o.key }))).toString();
    for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line));
  }
  return { keys, lines };
}

describe('s3DeadLetter', () => {
  it('writes NDJSON parts named from source key + ETag, flushing every maxEntriesPerObject', async () => {
    const sink = s3DeadLetter({ client, bucket, source, maxEntriesPerObject: 100 });
    await sink.write(entries(150));
    assert.equal(sink.keys.length, 1);
    await sink.write(entries(100, 151));
    await sink.close();
    assert.deepEqual(sink.keys, [
      'dead-letter/streams/día 1+2.csv.e1.dead-letter.part-00001.ndjson',
      'dead-letter/streams/día 1+2.csv.e1.dead-letter.part-00002.ndjson',
      'dead-letter/streams/día 1+2.csv.e1.dead-letter.part-00003.ndjson',
    ]);
    const { lines } = await stored();
    assert.equal(lines.length, 250);
    assert.deepEqual(
      lines.map((l) => l.line),
      Array.from({ length: 250 }, (_, i) => i + 2),
    );
    assert.deepEqual(lines[0], entries(1)[0]);
  });

  it('overwrites on a re-run instead of duplicating, and removes stale parts of a longer run', async () => {
    const rerun = s3DeadLetter({ client, bucket, source, maxEntriesPerObject: 100 });
    await rerun.write(entries(250));
    await rerun.close();
    let { keys, lines } = await stored();
    assert.equal(keys.length, 3);
    assert.equal(lines.length, 250);

    const shorter = s3DeadLetter({ client, bucket, source, maxEntriesPerObject: 200 });
    await shorter.write(entries(250));
    await shorter.close();
    ({ keys, lines } = await stored());
    assert.equal(keys.length, 2);
    assert.equal(lines.length, 250);
    assert.deepEqual(shorter.removed, [
      'dead-letter/streams/día 1+2.csv.e1.dead-letter.part-00003.ndjson',
    ]);

    const none = s3DeadLetter({ client, bucket, source });
    await none.close();
    assert.equal((await stored()).keys.length, 0);
  });

  it('keeps one part sequence per source when entries of several sources arrive', async () => {
    const other = sourceRefOf({ bucket: 'data', key: 'streams/b.csv', etag: 'e2' });
    const sink = s3DeadLetter({ client, bucket, prefix: 'dl2/', maxBytesPerObject: 1024 });
    const mixed = entries(20).flatMap((e) => [e, { ...e, source: other }]);
    await sink.write(mixed);
    await sink.close();
    const { lines, keys } = await stored('dl2/');
    assert.equal(lines.length, 40);
    assert.ok(keys.every((k) => /\.e[12]\.dead-letter\.part-\d{5}\.ndjson$/.test(k)));
    assert.ok(keys.length > 2, 'the byte bound split each source into several parts');
  });

  it('discard withdraws the entries: uploaded parts deleted, held ones dropped, nothing left', async () => {
    const sink = s3DeadLetter({ client, bucket, prefix: 'withdrawn/', maxEntriesPerObject: 2 });
    await sink.write(entries(5));
    assert.equal((await stored('withdrawn/')).keys.length, 2);
    await sink.discard();
    assert.deepEqual(await stored('withdrawn/'), { keys: [], lines: [] });
    assert.equal(sink.removed.length, 2);
    await assert.rejects(sink.write(entries(1)), /write after close/);
  });

  it('refuses writes after close and bad options', async () => {
    const sink = s3DeadLetter({ client, bucket, prefix: 'dl3/' });
    await sink.close();
    await assert.rejects(sink.write(entries(1)), /after close/);
    assert.throws(() => s3DeadLetter({ client, bucket, maxEntriesPerObject: 0 }), OptionsError);
  });

  it('a write after close rejects with DEAD_LETTER_CLOSED', async () => {
    const sink = s3DeadLetter({ client, bucket, prefix: 'dl-closed/' });
    await sink.close();
    await assert.rejects(
      sink.write(entries(1)),
      (e: unknown) => e instanceof PipelineError && e.code === 'DEAD_LETTER_CLOSED',
    );
  });

  it('once its signal aborts, write and close reject with the reason and upload nothing held', async () => {
    const controller = new AbortController();
    const sink = s3DeadLetter({
      client,
      bucket,
      prefix: 'dl-aborted/',
      maxEntriesPerObject: 10,
      signal: controller.signal,
    });
    await sink.write(entries(3));
    const reason = new Error('run cancelled');
    controller.abort(reason);
    await assert.rejects(sink.write(entries(20, 4)), (e: unknown) => e === reason);
    await assert.rejects(sink.close(), (e: unknown) => e === reason);
    assert.deepEqual(sink.keys, []);
    assert.deepEqual(await stored('dl-aborted/'), { keys: [], lines: [] });
  });
});
