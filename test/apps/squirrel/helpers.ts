import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createSquirrelApp, type SquirrelOptions } from '../../../src/apps/squirrel/index.ts';
import { uniqueName } from '../../helpers/db.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../../helpers/server.ts';

/**
 * Redis names private to one test (or to the instances of one test that share them), so test files
 * running at once on the same Redis never see each other's cache, lock or channels.
 */
export function isolatedRedisNames(): NodeJS.ProcessEnv {
  const prefix = uniqueName('sq');
  return {
    SQUIRREL_REDIS_PV_HASH_KEY: `${prefix}:pv:values`,
    SQUIRREL_REDIS_PV_METADATA_KEY: `${prefix}:pv:metadata`,
    SQUIRREL_REDIS_PV_UPDATES_CHANNEL: `${prefix}:pv:updates`,
    SQUIRREL_REDIS_HEARTBEAT_KEY: `${prefix}:monitor:heartbeat`,
    SQUIRREL_REDIS_DISCONNECTED_SET_KEY: `${prefix}:pv:disconnected`,
    SQUIRREL_MONITOR_LOCK_KEY: `${prefix}:monitor:lock`,
  };
}

export interface SquirrelHarness {
  test: TestServer & { schemas: Map<string, string> };
  /** the read+write key printed on first start */
  adminKey: string;
  /** a request with the admin key unless `key` is given (null sends none) */
  call(method: InjectOptions['method'], url: string, body?: unknown, key?: string | null): Promise<LightMyRequestResponse>;
  /** creates a key with the given flags through the API and returns its token */
  keyWith(read: boolean, write: boolean): Promise<string>;
  /** `keep` leaves the databases and Redis names to an instance that shares them */
  dispose(options?: { keep?: boolean }): Promise<void>;
}

export async function startSquirrel(
  env: NodeJS.ProcessEnv = {},
  reuse?: TestServerOptions['reuse'],
  options: SquirrelOptions = {},
): Promise<SquirrelHarness> {
  const announced: string[] = [];
  const redisNames = isolatedRedisNames();
  const test = await startTestServer([createSquirrelApp(options)], {
    env: { SQUIRREL_MONITOR_ENABLED: 'false', ...redisNames, ...env },
    announce: (_app, message) => announced.push(message),
    reuse,
  });
  await test.server.startWorkers();
  const adminKey = /(sq_[A-Za-z0-9_-]+)/.exec(announced.join('\n'))?.[1] ?? '';
  let keyCount = 0;
  const harness: SquirrelHarness = {
    test,
    adminKey,
    call(method, url, body, key = adminKey) {
      return test.server.fastify.inject({
        method,
        url,
        headers: key === null ? {} : { 'x-api-key': key },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      });
    },
    async keyWith(read, write) {
      keyCount += 1;
      const res = await harness.call('POST', '/v1/api-keys', { app_name: `client-${keyCount}`, read_access: read, write_access: write });
      return res.json().token as string;
    },
    async dispose(options = {}) {
      if (options.keep) return test.dispose(options);
      const redis = test.server.context('squirrel').redis;
      const names = { ...redisNames, ...env };
      const heartbeat = names.SQUIRREL_REDIS_HEARTBEAT_KEY!;
      await redis?.del(names.SQUIRREL_REDIS_PV_HASH_KEY!, names.SQUIRREL_REDIS_DISCONNECTED_SET_KEY!, heartbeat, `${heartbeat}:leader`).catch(() => {});
      await test.dispose();
    },
  };
  return harness;
}

/** Polls `probe` until it returns a value other than undefined, failing after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
