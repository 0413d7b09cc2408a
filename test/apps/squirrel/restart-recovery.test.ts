// Spec §12 items 61–62 and the "On restart" row of §4.4: a real server process is killed with SIGKILL in the
// middle of a job and a new process starts on the same database. Run with SQUIRREL_RESTART_CHILD=1, this file
// is that server process instead of the tests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSquirrelApp } from '../../../src/apps/squirrel/index.ts';
import { createServer } from '../../../src/server.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { dropSchema, testDatabaseUrl, testRedisUrl, uniqueName } from '../../helpers/db.ts';
import { isolatedRedisNames } from './helpers.ts';

/** Short enough that recovery after the kill takes about a second, not the default 30 s. */
const LEASE_MS = 1_000;
/** The create job waits this long for PVs no IOC serves, which keeps it running while it is killed. */
const MISSING_PV_CONNECT_TIMEOUT_S = 2;
/** A restore's writes are held by the IOC this long, which keeps the job running while it is killed. */
const WRITE_DELAY_MS = 3_000;

const thisFile = fileURLToPath(import.meta.url);

interface Job {
  id: string;
  status: string;
  progress: number;
  message: string | null;
  error: string | null;
  attempts: number;
  result_id: string | null;
  data: { processed?: number; total?: number };
}

async function serveUntilKilled(): Promise<void> {
  const schema = process.env.RESTART_TEST_SCHEMA;
  const server = await createServer({
    apps: [createSquirrelApp()],
    env: process.env,
    announce: (_app, message) => process.stdout.write(`${JSON.stringify({ announce: message })}\n`),
    ...(schema ? { schemaFor: () => schema } : {}),
  });
  const url = await server.listen();
  process.stdout.write(`${JSON.stringify({ url })}\n`);
}

/** One server process on the shared data directory (SQLite) or schema (Postgres). */
class ServerProcess {
  readonly url: string;
  readonly announced: string[];
  readonly #child: ChildProcess;
  readonly #stderr: string[];

  private constructor(child: ChildProcess, url: string, announced: string[], stderr: string[]) {
    this.#child = child;
    this.url = url;
    this.announced = announced;
    this.#stderr = stderr;
  }

  static async start(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', thisFile], {
      env: { ...process.env, ...env, SQUIRREL_RESTART_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const announced: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`server process exited (${code ?? signal}) before listening: ${stderr.join('')}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { url?: string; announce?: string };
        if (message.announce) announced.push(message.announce);
        if (message.url) resolve(message.url);
      });
    });
    return new ServerProcess(child, url, announced, stderr);
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** What the process wrote to stderr, for failure messages. */
  get stderr(): string {
    return this.#stderr.join('').slice(-4_000);
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGKILL');
    await exited;
  }
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function defineTests(): void {
  describe('squirrel jobs across a server crash (spec §4.4 "On restart", §12 items 61–62)', { timeout: 180_000 }, () => {
    let ioc: TestIoc;
    let dataDir: string;
    let schema: string | undefined;
    let env: NodeJS.ProcessEnv;
    let adminKey: string;
    let current: ServerProcess | undefined;
    /** writes the IOC received, by PV name, in arrival order */
    const writes: string[] = [];

    async function call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
      const res = await fetch(`${current!.url}${url}`, {
        method,
        headers: { 'x-api-key': adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as T };
    }

    async function restart(): Promise<void> {
      await current?.kill();
      current = await ServerProcess.start(env);
    }

    const getJob = async (id: string) => (await call<Job>('GET', `/v1/jobs/${id}`)).json;

    async function jobWhere(id: string, what: string, predicate: (job: Job) => boolean, timeoutMs?: number): Promise<Job> {
      return eventually(`job ${id}: ${what} (server stderr: ${current?.stderr})`, async () => {
        const job = await getJob(id);
        return predicate(job) ? job : undefined;
      }, timeoutMs);
    }

    before(async () => {
      ioc = await startTestIoc({
        pairs: 2,
        extra: ['R:1', 'R:2', 'R:3'].map((name) => ({ name, value: 1, write_delay_ms: WRITE_DELAY_MS })),
      });
      for (const name of ['R:1', 'R:2', 'R:3']) {
        const pv = ioc.ioc.database.get(name)!;
        const write = pv.write.bind(pv);
        pv.write = (values, fieldType) => {
          writes.push(name);
          return write(values, fieldType);
        };
      }
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-restart-'));
      schema = testDatabaseUrl ? uniqueName('t_squirrel') : undefined;
      env = {
        BURROW_DATA_DIR: dataDir,
        BURROW_PORT: '0',
        BURROW_LOG_LEVEL: 'warn',
        BURROW_REDIS_PREFIX: `burrow-test-${path.basename(dataDir)}`,
        BURROW_JOB_LEASE_MS: String(LEASE_MS),
        ...(testDatabaseUrl ? { DATABASE_URL: testDatabaseUrl } : {}),
        ...(testRedisUrl ? { REDIS_URL: testRedisUrl } : {}),
        ...(schema ? { RESTART_TEST_SCHEMA: schema } : {}),
        ...isolatedRedisNames(),
        SQUIRREL_MONITOR_ENABLED: 'false',
        SQUIRREL_EPICS_CA_CONN_TIMEOUT: String(MISSING_PV_CONNECT_TIMEOUT_S),
        SQUIRREL_EPICS_CA_TIMEOUT: '10',
        SQUIRREL_JOB_RETRY_DEFER: '0',
        EPICS_CA_ADDR_LIST: `127.0.0.1:${ioc.ioc.port}`,
        EPICS_CA_AUTO_ADDR_LIST: 'NO',
        EPICS_CA_REPEATER_PORT: String(ioc.repeaterPort),
      };
      current = await ServerProcess.start(env);
      adminKey = /(sq_[A-Za-z0-9_-]+)/.exec(current.announced.join('\n'))?.[1] ?? '';
      assert.ok(adminKey, `the first start announces an admin key: ${current.announced.join(' | ')}`);
    });

    after(async () => {
      await current?.kill();
      await ioc?.close();
      if (testDatabaseUrl && schema) await dropSchema(testDatabaseUrl, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('§12.61 killing the server during a create and restarting it completes the job on a later attempt, with exactly one snapshot', async () => {
      const created = await call<unknown[]>('POST', '/v1/pvs/multi', [
        { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB' },
        { setpoint_address: 'T:2:SP' },
        { setpoint_address: 'NOWHERE:1' },
        { setpoint_address: 'NOWHERE:2' },
      ]);
      assert.equal(created.status, 200, JSON.stringify(created.json));
      const queued = await call<{ job_id: string }>('POST', '/v1/snapshots?use_cache=false', { title: 'across a crash' });
      assert.equal(queued.status, 200, JSON.stringify(queued.json));
      const jobId = queued.json.job_id;
      // Reading: the PVs no IOC serves hold the attempt there until their connect timeout.
      const running = await jobWhere(jobId, 'reading PVs', (job) => job.status === 'IN_PROGRESS' && job.progress >= 15);
      assert.equal(running.attempts, 1);

      await restart();

      const done = await jobWhere(jobId, 'completed after the restart', (job) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status));
      assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
      assert.equal(done.attempts, 2, 'the attempt cut by the kill counts; the next one completes');
      const snapshots = (await call<Array<{ id: string; title: string; pv_count: number }>>('GET', '/v1/snapshots')).json;
      assert.deepEqual(snapshots.map((s) => [s.id, s.title, s.pv_count]), [[done.result_id, 'across a crash', 4]]);
    });

    it('§12.62 killing the server during a restore and restarting it gives FAILED "Interrupted by server restart…" and no further writes', async () => {
      const created = await call<unknown[]>('POST', '/v1/pvs/multi', ['R:1', 'R:2', 'R:3'].map((name) => ({ setpoint_address: name })));
      assert.equal(created.status, 200, JSON.stringify(created.json));
      const snapshot = await call<{ id: string; pv_count: number }>('POST', '/v1/snapshots?async=false&use_cache=false', { title: 'setpoints at 1' });
      assert.equal(snapshot.status, 200, JSON.stringify(snapshot.json));
      for (const name of ['R:1', 'R:2', 'R:3']) ioc.ioc.set(name, 5);
      const restorePvIds = (await call<Array<{ id: string; setpoint_address: string | null }>>('GET', '/v1/pvs?limit=100')).json
        .filter((pv) => pv.setpoint_address?.startsWith('R:'))
        .map((pv) => pv.id);
      assert.equal(restorePvIds.length, 3);

      const queued = await call<{ job_id: string }>('POST', `/v1/snapshots/${snapshot.json.id}/restore`, { pv_ids: restorePvIds });
      assert.equal(queued.status, 200, JSON.stringify(queued.json));
      const jobId = queued.json.job_id;
      // The IOC holds every write for WRITE_DELAY_MS: once all three arrived, the job is waiting on them.
      await eventually('the restore writes to reach the IOC', async () => (writes.length === 3 ? true : undefined));
      const running = await getJob(jobId);
      assert.equal(running.status, 'IN_PROGRESS', JSON.stringify(running));

      await restart();
      const writesAtKill = writes.length;

      const failed = await jobWhere(jobId, 'failed after the restart', (job) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status));
      assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
      assert.match(failed.error ?? '', /^Interrupted by server restart after \d+\/3 writes$/);
      assert.equal(failed.message, 'Job failed');
      assert.equal(failed.attempts, 1, 'a restore is never attempted again');
      // Writes already in flight at the IOC finish there (§4.4); the new server sends none.
      await new Promise((resolve) => setTimeout(resolve, WRITE_DELAY_MS + LEASE_MS));
      assert.deepEqual(writes.slice(writesAtKill), []);
      assert.equal((await getJob(jobId)).status, 'FAILED');
    });
  });
}

if (process.env.SQUIRREL_RESTART_CHILD === '1') await serveUntilKilled();
else defineTests();
