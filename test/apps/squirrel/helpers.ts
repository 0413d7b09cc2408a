import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createSquirrelApp, type SquirrelOptions } from '../../../src/apps/squirrel/index.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../../helpers/server.ts';

export interface SquirrelHarness {
  test: TestServer & { schemas: Map<string, string> };
  /** the read+write key printed on first start */
  adminKey: string;
  /** a request with the admin key unless `key` is given (null sends none) */
  call(method: InjectOptions['method'], url: string, body?: unknown, key?: string | null): Promise<LightMyRequestResponse>;
  /** creates a key with the given flags through the API and returns its token */
  keyWith(read: boolean, write: boolean): Promise<string>;
  dispose(): Promise<void>;
}

export async function startSquirrel(
  env: NodeJS.ProcessEnv = {},
  reuse?: TestServerOptions['reuse'],
  options: SquirrelOptions = {},
): Promise<SquirrelHarness> {
  const announced: string[] = [];
  const test = await startTestServer([createSquirrelApp(options)], {
    env: { SQUIRREL_MONITOR_ENABLED: 'false', ...env },
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
    dispose: () => test.dispose(),
  };
  return harness;
}
