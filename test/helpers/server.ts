import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BurrowApp } from '../../src/core/app.ts';
import { createServer, type BurrowServer } from '../../src/server.ts';
import { dropSchema, testDatabaseUrl, testRedisUrl, uniqueName } from './db.ts';

export interface TestServer {
  server: BurrowServer;
  dataDir: string;
  /** closes the server and removes its databases, unless `keep` (a restart will reuse them) */
  dispose(options?: { keep?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  env?: NodeJS.ProcessEnv;
  demo?: boolean;
  /** share the databases of an earlier server (a restart or a second instance) */
  reuse?: { dataDir: string; schemas: Map<string, string> };
  announce?: (appId: string, message: string) => void;
  logger?: Logger;
}

/**
 * Builds a burrow server around the given apps with isolated storage: a temp data dir, and on the
 * Postgres pass a unique schema per app. Both database passes of CI run through here unchanged.
 */
export async function startTestServer(
  apps: readonly BurrowApp[],
  options: TestServerOptions = {},
): Promise<TestServer & { schemas: Map<string, string> }> {
  const dataDir = options.reuse?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-server-'));
  const schemas = options.reuse?.schemas ?? new Map<string, string>();
  const server = await createServer({
    apps,
    demo: options.demo,
    announce: options.announce ?? (() => {}),
    logger: options.logger,
    env: {
      BURROW_DATA_DIR: dataDir,
      BURROW_PORT: '0',
      BURROW_LOG_LEVEL: 'silent',
      // One Redis namespace per test server, shared by the servers that reuse its data (a second instance).
      BURROW_REDIS_PREFIX: `burrow-test-${path.basename(dataDir)}`,
      ...(testDatabaseUrl ? { DATABASE_URL: testDatabaseUrl } : {}),
      ...(testRedisUrl ? { REDIS_URL: testRedisUrl } : {}),
      ...options.env,
    },
    schemaFor: (appId) => {
      if (!schemas.has(appId)) schemas.set(appId, uniqueName(`t_${appId}`));
      return schemas.get(appId)!;
    },
  });
  return {
    server,
    dataDir,
    schemas,
    async dispose({ keep = false } = {}) {
      await server.close();
      if (keep) return;
      if (testDatabaseUrl) for (const schema of schemas.values()) await dropSchema(testDatabaseUrl, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
