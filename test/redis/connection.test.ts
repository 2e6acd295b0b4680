// How the Redis settings reach every connection: validation of REDIS_SENTINELS / REDIS_SENTINEL_NAME, a password
// or ACL user and database in REDIS_URL, connections through real sentinels (password and database still from
// REDIS_URL), and the errors that name the setting to fix.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/base/config.js';
import { ConfigError, UnavailableError } from '../../src/base/errors.js';
import { connectRedis } from '../../src/redis/redis.js';
import { readTopology } from '../../src/redis/redis-topology.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis.js';
import { startSentinels, type SentinelDeployment } from '../helpers/sentinel.js';

describe('redis settings', () => {
  test('config › REDIS_SENTINELS is a host:port list and needs REDIS_SENTINEL_NAME', () => {
    const config = loadConfig({ REDIS_SENTINELS: 's1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'main' });
    assert.deepEqual(config.redisSentinels, [
      { host: 's1', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    assert.equal(config.redisSentinelName, 'main');
    assert.deepEqual(loadConfig({}).redisSentinels, []);
    assert.throws(
      () => loadConfig({ REDIS_SENTINELS: 's1:26379' }),
      (err: Error) => err instanceof ConfigError && /^REDIS_SENTINEL_NAME is required/.test(err.message),
    );
    for (const bad of ['s1', 's1:0', 's1:70000', 's1:26379,,s2:1'])
      assert.throws(
        () => loadConfig({ REDIS_SENTINELS: bad, REDIS_SENTINEL_NAME: 'main' }),
        (err: Error) => err instanceof ConfigError && err.message.startsWith('REDIS_SENTINELS='),
        bad,
      );
    assert.throws(
      () => loadConfig({ REDIS_URL: 'redis://user:hunter2@host/not-a-number' }),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.startsWith('REDIS_URL="redis://user:***@host/not-a-number"') &&
        !err.message.includes('hunter2'),
    );
  });
});

describe('redis connections', () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis({ args: ['--requirepass', 'default-secret'] });
    const admin = new Redis({ port: server.port, password: 'default-secret' });
    await admin.call('ACL', 'SETUSER', 'orderflow', 'on', '>s3cret/pw', '~*', '&*', '+@all');
    admin.disconnect();
  });
  after(async () => {
    await server.stop();
  });

  test('connection › a password in REDIS_URL authenticates (the primary is its host); a wrong one fails without printing it', async () => {
    const config = loadConfig({ REDIS_URL: `redis://:default-secret@127.0.0.1:${server.port}` });
    const redis = await connectRedis(config);
    assert.equal(await redis.ping(), 'PONG');
    assert.deepEqual(await readTopology(redis, config), {
      mode: 'direct',
      primary: `127.0.0.1:${server.port}`,
      replicas: 0,
      lastFailover: null,
    });
    redis.disconnect();
    await assert.rejects(
      connectRedis(loadConfig({ REDIS_URL: `redis://:wrong-pass@127.0.0.1:${server.port}` })),
      (err: Error) =>
        err instanceof UnavailableError &&
        err.message.includes(`REDIS_URL=redis://:***@127.0.0.1:${server.port}`) &&
        !err.message.includes('wrong-pass'),
    );
  });

  test('connection › an ACL user and a database number in REDIS_URL are used (password URL-encoded)', async () => {
    const url = `redis://orderflow:${encodeURIComponent('s3cret/pw')}@127.0.0.1:${server.port}/3`;
    const redis = await connectRedis(loadConfig({ REDIS_URL: url }));
    assert.equal(await redis.call('ACL', 'WHOAMI'), 'orderflow');
    await redis.set('acl-key', 'v');
    const admin = new Redis({ port: server.port, password: 'default-secret', db: 3 });
    assert.equal(await admin.get('acl-key'), 'v');
    admin.disconnect();
    redis.disconnect();
  });
});

describe('redis through sentinels', () => {
  let deployment: SentinelDeployment;

  before(async () => {
    deployment = await startSentinels({ password: 'node-pass', sentinelPassword: 'sentinel-pass' });
  });
  after(async () => {
    await deployment.stop();
  });

  test('sentinel › the sentinels (with their own password) name the primary; password and database still come from REDIS_URL', async () => {
    // REDIS_URL's host and port point nowhere: only the sentinels can have found the primary.
    const url = `redis://:node-pass@127.0.0.1:${await freePort()}/2`;
    const env = { REDIS_URL: url, ...deployment.env, REDIS_SENTINEL_PASSWORD: 'sentinel-pass' };
    const redis = await connectRedis(loadConfig(env));
    await redis.set('via-sentinel', '1');
    const direct = new Redis({ port: deployment.primary.port, password: 'node-pass', db: 2 });
    assert.equal(await direct.get('via-sentinel'), '1');
    direct.disconnect();
    redis.disconnect();
  });

  test('sentinel › a name the sentinels do not monitor is an error naming REDIS_SENTINEL_NAME', async () => {
    const config = loadConfig({
      ...deployment.env,
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
      REDIS_SENTINEL_NAME: 'no-such-primary',
    });
    await assert.rejects(connectRedis(config, { connectTimeoutMs: 500 }), (err: Error) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(err.message, /knows a primary named REDIS_SENTINEL_NAME=no-such-primary/);
      assert.match(err.message, new RegExp(`they monitor: ${deployment.name}`));
      return true;
    });
  });

  test('sentinel › a wrong sentinel password is an error naming REDIS_SENTINEL_PASSWORD', async () => {
    const config = loadConfig({ ...deployment.env, REDIS_SENTINEL_PASSWORD: 'not-it' });
    await assert.rejects(connectRedis(config, { connectTimeoutMs: 500 }), (err: Error) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(err.message, /check REDIS_SENTINEL_PASSWORD/);
      assert.ok(!err.message.includes('not-it'), 'the password is not printed');
      return true;
    });
  });

  test('sentinel › no reachable sentinel is an error naming REDIS_SENTINELS', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const config = loadConfig({ REDIS_SENTINELS: `127.0.0.1:${a},127.0.0.1:${b}`, REDIS_SENTINEL_NAME: 'x' });
    await assert.rejects(connectRedis(config, { connectTimeoutMs: 500 }), (err: Error) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(
        err.message,
        new RegExp(`no sentinel of REDIS_SENTINELS=127.0.0.1:${a},127.0.0.1:${b} answered`),
      );
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });
});
