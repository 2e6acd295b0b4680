// `orderflow train | models | predict` end to end, in-process, on embedded PGlite in a temp DATA_DIR.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { CLI } from '../e2e/harness.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { syntheticAggregate, toCsv } from './synthetic.js';

describe('ml commands', () => {
  let dir: TempDir;
  let input: string;
  // An unset DATABASE_URL selects the embedded store under the temp DATA_DIR.
  const run = (...args: string[]) => runCli(['--data-dir', dir.path, ...args], { DATABASE_URL: '' });

  before(async () => {
    dir = await tempDir();
    input = path.join(dir.path, 'aggregate.csv');
    await writeFile(input, toCsv(syntheticAggregate(25, 30, 9).rows));
  });
  after(() => dir.remove());

  test('predict before any training › says to run `orderflow train`', async () => {
    const r = await run('predict', '1', '10', 'milk');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /orderflow train/);
  });

  test('train without an aggregate › exit 2 naming the expected files and --input', async () => {
    const r = await run('train');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /processed[/\\]orders\.csv/);
    assert.match(r.stderr, /--input/);
  });

  test('train › prints the metrics table and the new current version; again → unchanged', async () => {
    const r = await run('train', '--input', input);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /model\s+RMSE\s+MAE\s+R²\s+train ms/);
    for (const label of ['RandomForest', 'DecisionTree', 'LinearRegression', 'PoissonGLM'])
      assert.match(r.stdout, new RegExp(label));
    assert.match(r.stdout, /current: v1 \(/);
    const again = await run('train', '--input', input, '--json');
    assert.equal(again.code, 0);
    const json = JSON.parse(again.stdout) as { status: string; version: string };
    assert.deepEqual([json.status, json.version], ['unchanged', 'v1']);
  });

  test('train --force --split md5 --folds 3 --nonzero-only › a new version with CV columns', async () => {
    const r = await run(
      'train',
      '--input',
      input,
      '--force',
      '--split',
      'md5',
      '--folds',
      '3',
      '--nonzero-only',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CV RMSE ± sd/);
    // The fold spread of the chosen model: mean ± sd and the RMSE of each of the 3 folds.
    assert.match(
      r.stdout,
      /chosen: \S+, fold RMSE [\d.]+ ± [\d.]+ \(mean ± sd over 3 folds: [\d.]+, [\d.]+, [\d.]+\)/,
    );
    assert.match(r.stdout, /current: v2/);
    assert.match(r.stdout, /\(nonzero\)/);
  });

  test('train with a bad flag value › exit 2', async () => {
    assert.equal((await run('train', '--input', input, '--split', 'nope')).code, 2);
    assert.equal((await run('train', '--input', input, '--folds', 'x')).code, 2);
  });

  test('models list / show › versions newest first with the current marked; --json', async () => {
    const list = await run('models', 'list');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[1], /^\* v2 /);
    assert.match(lines[2], /^ {2}v1 /);
    const json = JSON.parse((await run('models', 'list', '--json')).stdout) as {
      version: string;
      current: boolean;
    }[];
    assert.deepEqual(
      json.map((m) => [m.version, m.current]),
      [
        ['v2', true],
        ['v1', false],
      ],
    );
    const show = await run('models', 'show', 'v1', '--json');
    assert.equal((JSON.parse(show.stdout) as { version: string }).version, 'v1');
    const current = await run('models', 'show');
    assert.match(current.stdout, /version\s+v2 \(current\)/);
    const missing = await run('models', 'show', 'v9');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /v9.*known: v2, v1/);
  });

  test('predict › text and --json answers from the current model; category trimmed, case-insensitive', async () => {
    const text = await run('predict', '2', '13', '  Fresh FRUITS ');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Predicted items: \d+\.\d\d\n$/);
    const json = JSON.parse((await run('predict', '2', '13', 'fresh fruits', '--json')).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(json.model_version, 'v2');
    assert.equal(typeof json.algorithm, 'string');
    assert.equal(text.stdout, `Predicted items: ${(json.prediction as number).toFixed(2)}\n`);
  });

  for (const [what, args, pattern] of [
    ['day 7', ['7', '10', 'milk'], /day_of_week must be an integer from 0 to 6, got "7"/],
    ['day -1', ['-1', '10', 'milk'], /day_of_week/],
    ['hour 24', ['1', '24', 'milk'], /hour_of_day must be an integer from 0 to 23, got "24"/],
    ['hour not numeric', ['1', 'ten', 'milk'], /hour_of_day.*"ten"/],
    ['day fractional', ['1.5', '3', 'milk'], /day_of_week/],
    [
      'unknown category',
      ['1', '10', 'fresh fruit'],
      /unknown category "fresh fruit"; closest known: "fresh fruits"/,
    ],
    ['missing category', ['1', '10'], /usage: orderflow predict/],
  ] as const) {
    test(`predict with ${what} › exit 2 with a message`, async () => {
      const r = await run('predict', ...args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, pattern);
    });
  }

  test('predict all --out › every (day, hour, category) cell as CSV, matching single predictions', async () => {
    const out = path.join(dir.path, 'all.csv');
    const r = await run('predict', 'all', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'day_of_week,hour_of_day,category,prediction');
    assert.equal(lines.length, 1 + 7 * 24 * 25);
    const row = lines.find((l) => l.startsWith('2,13,fresh fruits,'))!;
    const single = JSON.parse((await run('predict', '2', '13', 'fresh fruits', '--json')).stdout) as {
      prediction: number;
    };
    assert.ok(Math.abs(Number(row.split(',')[3]) - single.prediction) < 1e-4);
  });

  test('predict all | head -2 › the reader going away ends the command quietly with exit 0 (no EPIPE stack)', async () => {
    // The built CLI as a real process, its standard output closed after the first lines, as `head -2` does.
    const child = spawn(process.execPath, [CLI, '--data-dir', dir.path, 'predict', 'all'], {
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });
});
