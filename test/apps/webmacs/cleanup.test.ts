import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { CLEANUP_JOB } from '../../../src/apps/webmacs/cleanup/job.ts';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { nowMicros } from '../../../src/apps/webmacs/time.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const MINUTE = 60_000_000;
const HOUR = 60 * MINUTE;

describe('webmacs.cleanup job (spec §4.7)', () => {
  let wm: WebmacsHarness;
  let db: Kysely<WebmacsDatabase>;
  before(async () => {
    wm = await startWebmacs();
    db = wm.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
  });
  after(() => wm.dispose());

  it('is scheduled hourly', async () => {
    const schedule = (await wm.server.context('webmacs').jobs.schedules()).find((s) => s.name === CLEANUP_JOB);
    assert.deepEqual([schedule?.cron, schedule?.type], ['0 * * * *', CLEANUP_JOB]);
  });

  it('deletes revocations past expiry, SSO codes older than 1 h and idempotency keys older than 24 h — nothing newer', async () => {
    const { id: userId } = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    const now = nowMicros();
    await db
      .insertInto('revoked_tokens')
      .values([
        { jti: 'expired-jti', user_id: userId, expires_at: now - MINUTE },
        { jti: 'live-jti', user_id: userId, expires_at: now + HOUR },
      ])
      .execute();
    await db
      .insertInto('sso_codes')
      .values([
        { code_hash: 'old-code', user_id: userId, expires_at: now - 2 * HOUR, used_at: null },
        { code_hash: 'recent-code', user_id: userId, expires_at: now - 10 * MINUTE, used_at: now - 11 * MINUTE },
      ])
      .execute();
    const key = (name: string, createdAt: number) => ({ user_id: userId, key: name, request_sha256: 'x', status_code: 201, body: '{}', created_at: createdAt });
    await db
      .insertInto('idempotency_keys')
      .values([key('day-old', now - 25 * HOUR), key('fresh', now - 23 * HOUR)])
      .execute();

    const { jobs } = wm.server.context('webmacs');
    await wm.server.startWorkers();
    const job = await jobs.enqueue(CLEANUP_JOB, null);
    const deadline = Date.now() + 10_000;
    while ((await jobs.get(job.id))?.status !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.deepEqual((await jobs.get(job.id))?.result, { revoked_tokens: 1, sso_codes: 1, idempotency_keys: 1 });

    assert.deepEqual((await db.selectFrom('revoked_tokens').select('jti').where('jti', 'in', ['expired-jti', 'live-jti']).execute()).map((r) => r.jti), ['live-jti']);
    assert.deepEqual((await db.selectFrom('sso_codes').select('code_hash').execute()).map((r) => r.code_hash), ['recent-code']);
    assert.deepEqual((await db.selectFrom('idempotency_keys').select('key').execute()).map((r) => r.key), ['fresh']);
  });
});
