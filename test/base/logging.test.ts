// Logs for people and machines: an outage is said once, then at most once per interval with a count, then once
// when it ends; connection errors carry no stack; URL passwords never appear; durations are whole milliseconds
// (JSON) or carry units (pretty).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnavailableError } from '../../src/base/errors.js';
import { createLogger } from '../../src/base/log.js';
import { formatDuration, formatPretty } from '../../src/base/log-pretty.js';
import { createOutageLog } from '../../src/base/outage-log.js';
import { redactText, redactUrl } from '../../src/base/redact.js';

function capture(level = 'info', format: 'json' | 'pretty' = 'json') {
  const lines: string[] = [];
  const logger = createLogger(level, format, { write: (text: string) => lines.push(text) });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });

describe('logging', () => {
  test('logging › an outage is logged once, then once per interval with a count, then once when it ends', () => {
    const { logger, json } = capture();
    let now = 0;
    const outage = createOutageLog('Redis', logger, 60_000, () => now);
    for (; now < 150_000; now += 500) outage.failure(refused()); // 300 failures over 2.5 minutes
    outage.recovered();
    outage.recovered(); // nothing more: the outage already ended
    const lines = json();
    assert.deepEqual(
      lines.map((l) => l.msg),
      [
        'Redis unreachable: DAG schedules, task queues, tracking keys and the prediction cache are paused until it is back',
        'Redis still unreachable',
        'Redis still unreachable',
        'Redis reachable again',
      ],
    );
    assert.equal(lines[1].errors, 120);
    assert.equal(lines[1].downForMs, 60_000);
    assert.equal(lines[3].errors, 300);
    assert.equal((lines[0].err as { stack?: string }).stack, undefined, 'no stack for a refused connection');
  });

  test('logging › unexpected errors keep their stack; errors on purpose and connection losses do not', () => {
    const { logger, json } = capture();
    logger.error({ err: new TypeError('x is undefined') }, 'bug');
    logger.error({ err: new UnavailableError('lost the connection to PostgreSQL') }, 'lost');
    const [bug, lost] = json();
    assert.match(String((bug.err as { stack: string }).stack), /TypeError: x is undefined\n\s+at /);
    assert.equal((lost.err as { stack?: string }).stack, undefined);
  });

  test('logging › passwords in URLs are masked in messages, errors and stacks', () => {
    assert.equal(redactUrl('redis://user:supersecret@db:6379/0'), 'redis://user:***@db:6379/0');
    assert.equal(redactUrl('redis://db:6379'), 'redis://db:6379');
    assert.equal(
      redactText('cannot reach postgres://app:hunter2@pg/x and redis://:pw@r:1'),
      'cannot reach postgres://app:***@pg/x and redis://:***@r:1',
    );
    const { logger, lines } = capture();
    logger.error({ err: new Error('failed at rediss://u:supersecret@host:6380') }, 'oops');
    assert.ok(!lines.join('').includes('supersecret'), lines.join(''));
  });

  test('logging › durations: whole milliseconds in JSON, with units when pretty', () => {
    const { logger, json } = capture();
    logger.info({ durationMs: 2.5130000000000337 }, 'done');
    assert.equal(json()[0].durationMs, 3);
    assert.deepEqual([850, 12_345, 125_000].map(formatDuration), ['850ms', '12.3s', '2m5s']);
    const pretty = capture('info', 'pretty');
    pretty.logger.child({ component: 'scheduler' }).warn({ dagId: 'd', durationMs: 1500 }, 'tick failed');
    assert.match(
      pretty.lines[0],
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}scheduler {2}tick failed {2}dagId=d durationMs=1\.5s\n$/,
    );
    assert.equal(formatPretty('not json\n', false), 'not json\n');
  });
});
