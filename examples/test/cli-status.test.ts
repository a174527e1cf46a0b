import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PipelineStatus } from '@streamkpi/dynamo-sink';
import { createBucket } from '@streamkpi/s3-source/testing';
import { put, useCliEmulators } from './helpers/cli-emulators.js';
import { runCli } from './helpers/spawn-cli.js';

const SONGS = 'track_id,track_name,duration_ms,track_genre\nt1,One,1000,pop\nt2,Deux,2000,rock\n';
const STREAMS =
  'user_id,track_id,listen_time\n1,t1,2024-06-25 10:00:00\n2,t2,2024-06-25 11:00:00\nx,t1,2024-06-25 12:00:00\n';

describe('kpis status', () => {
  const emu = useCliEmulators();
  before(async () => {
    await createBucket(emu.s3, 'status-bucket');
  });

  const flags = ['--bucket', 'status-bucket', '--table', 'status-kpis', '--s3-force-path-style'];

  it('shows pending objects, committed dates, quarantined files, dead letters and the runs that run wrote', async () => {
    await put(emu.s3, 'status-bucket', 'songs/songs.csv', SONGS);
    await put(emu.s3, 'status-bucket', 'streams/a.csv', STREAMS);
    await put(emu.s3, 'status-bucket', 'streams/empty.csv', '');
    const run = await runCli(['run', ...flags, '--threads', '0'], emu.env);
    assert.equal(run.code, 0, run.stderr);
    await put(emu.s3, 'status-bucket', 'streams/later.csv', STREAMS);

    const json = await runCli(['status', ...flags, '--json'], emu.env);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as PipelineStatus;
    assert.equal(status.pending.count, 1);
    assert.equal(status.pending.objects[0]?.key, 'streams/later.csv');
    assert.deepEqual(
      status.dates.map((d) => [d.date, d.version, d.items]),
      [['2024-06-25', 1, 2]],
    );
    assert.equal(status.quarantined.count, 1);
    assert.equal(status.quarantined.files[0]?.sourceKey, 'streams/empty.csv');
    assert.equal(status.deadLetter.objects, 1);
    assert.equal(status.runs.length, 1);
    const [record] = status.runs;
    assert.equal(record?.command, 'run');
    assert.equal(record?.ok, true);
    assert.deepEqual(record?.objects.committed, { count: 1, keys: ['streams/a.csv'] });
    assert.deepEqual(record?.objects.quarantined, { count: 1, keys: ['streams/empty.csv'] });
    assert.deepEqual(record?.rows, {
      read: 3,
      aggregated: 2,
      rejected: 1,
      rejectedByReason: { invalid_user_id: 1 },
    });

    const text = await runCli(['status', ...flags], emu.env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /pending\s+1 stream object .*streams\/later\.csv/);
    assert.match(text.stdout, /2024-06-25\s+1\s+2\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
    assert.match(text.stdout, /quarantined\s+1 file/);
    assert.match(text.stdout, /rejected\/empty\.csv at .*file is empty \(0 bytes\)/);
    assert.match(text.stdout, /dead letter\s+1 object/);
    assert.match(text.stdout, /run\s+ok\s+1\s+1\s+0\s+3/);
  });

  it('shows a run that threw (no songs object) as failed with its error code', async () => {
    await createBucket(emu.s3, 'status-no-songs');
    await put(emu.s3, 'status-no-songs', 'streams/a.csv', STREAMS);
    const noSongs = ['--bucket', 'status-no-songs', '--table', 'status-kpis-2'];
    const run = await runCli(
      ['run', ...noSongs, '--s3-force-path-style', '--threads', '0'],
      emu.env,
    );
    assert.notEqual(run.code, 0, run.stdout);
    assert.match(run.stderr, /NO_SONGS|songs/);

    const json = await runCli(['status', ...noSongs, '--s3-force-path-style', '--json'], emu.env);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as PipelineStatus;
    assert.equal(status.runs.length, 1);
    const [record] = status.runs;
    assert.equal(record?.ok, false);
    assert.deepEqual(
      record?.failures.map((f) => [f.step, f.code]),
      [['setup', 'NO_SONGS']],
    );
    assert.equal(status.pending.count, 1, 'the stream object waits for the next run');

    const text = await runCli(['status', ...noSongs, '--s3-force-path-style'], emu.env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /last run failed at setup : .*songs/);
  });

  it('exits 3 naming a missing table', async () => {
    const r = await runCli(
      ['status', '--bucket', 'status-bucket', '--table', 'no-such-table', '--s3-force-path-style'],
      emu.env,
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /kpis status: Table not found/);
  });
});
