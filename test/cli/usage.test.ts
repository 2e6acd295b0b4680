// What a user meets first: --version, durations that must carry their unit, help texts that say what a command
// does, and `split` without an orders file saying what to do about it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

describe('cli usage', () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  test('cli › --version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('cli › a duration without its unit is bad usage; the help says the units', async () => {
    const bare = await runCli(['simulate-arrival', '--every', '5']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--every "5": expected a duration with its unit, such as 500ms, 5s or 2m/);
    const help = await runCli(['start', '--help']);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--every <duration> .*\(500ms, 5s, 2m\)/);
    assert.match(help.stdout, /default: 5s/);
  });

  test('cli › help texts say what each command does, not which part of an exercise it was', async () => {
    const help = await runCli(['--help']);
    for (const command of ['split', 'aggregate', 'incremental']) {
      const r = await runCli([command, '--help']);
      assert.doesNotMatch(r.stdout, /\(Part \d\)/, command);
    }
    assert.doesNotMatch(help.stdout, /\(Part \d\)/);
  });

  test('cli › split without data/orders.csv says to run generate or pass --input', async () => {
    const r = await runCli(['--data-dir', dir.path, 'split']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /no orders file at .*orders\.csv: run `orderflow generate` first, or pass --input FILE/,
    );
    const missing = await runCli(['--data-dir', dir.path, 'split', '--input', 'nope.csv']);
    assert.match(missing.stderr, /--input .*nope\.csv: no such file/);
  });
});
