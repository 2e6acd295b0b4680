// Secrets never printed, and a wrong Redis password said as such (ioredis only says "Connection is closed.").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UnavailableError } from '../../src/base/errors.js';
import { RedisAuthError } from '../../src/redis/redis-failure.js';
import { connectRedis } from '../../src/redis/redis.js';
import { runCli } from '../helpers/cli.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis.js';

describe('redis connection failures', () => {
  let redis: RedisServer;
  const withAuth = (user: string, password: string): string =>
    `redis://${user}:${password}@127.0.0.1:${redis.port}`;

  before(async () => {
    redis = await startRedis();
    const admin = await connectRedis({ redisUrl: redis.url });
    await admin.config('SET', 'requirepass', 'right-password');
    admin.disconnect();
  });
  after(() => redis.stop());

  test('redis › a wrong password is reported as refused credentials, with the password masked', async () => {
    const err = await connectRedis({ redisUrl: withAuth('', 'supersecret') }).catch((e: unknown) => e);
    assert.ok(err instanceof RedisAuthError);
    assert.match(err.message, /refused the credentials in REDIS_URL .*WRONGPASS/);
    assert.match(err.message, /redis:\/\/:\*\*\*@127\.0\.0\.1/);
    assert.doesNotMatch(err.message, /supersecret/);
  });

  test('redis › no password where one is needed says so', async () => {
    const err = await connectRedis({ redisUrl: redis.url }).catch((e: unknown) => e);
    assert.ok(err instanceof RedisAuthError);
    assert.match(err.message, /needs a password: put it in REDIS_URL/);
  });

  test('redis › nothing listening: "cannot reach" with the reason, the password masked, in the CLI too', async () => {
    const url = `redis://user:supersecret@127.0.0.1:${await freePort()}`;
    const err = await connectRedis({ redisUrl: url }).catch((e: unknown) => e);
    assert.ok(err instanceof UnavailableError && !(err instanceof RedisAuthError));
    assert.match(
      err.message,
      /cannot reach Redis at REDIS_URL=redis:\/\/user:\*\*\*@.* \(connect ECONNREFUSED/,
    );
    const cli = await runCli(['cache', 'stats'], { REDIS_URL: url });
    assert.notEqual(cli.code, 0);
    assert.doesNotMatch(cli.stdout + cli.stderr, /supersecret/);
    const bad = await runCli(['status'], { REDIS_URL: 'http://user:supersecret@x' });
    assert.equal(bad.code, 2);
    assert.doesNotMatch(bad.stderr, /supersecret/);
  });
});
