import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { JobsSchema } from '../../../src/core/jobs/rows.ts';
import { deferred, jobsFixture, type JobsFixture } from './helpers.ts';

/** Epoch ms of the next 1 January 00:00 wall-clock time at `utcOffsetHours` (a zone without DST in January). */
function nextNewYear(utcOffsetHours: number): number {
  const now = Date.now();
  const year = new Date(now).getUTCFullYear();
  const thisYear = Date.UTC(year, 0, 1, -utcOffsetHours);
  return thisYear > now ? thisYear : Date.UTC(year + 1, 0, 1, -utcOffsetHours);
}

describe('cron schedules', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('fires a six-field every-second schedule once per tick with two processes', async () => {
    const engines = [await fx.engine(), await fx.engine()];
    const runs: string[] = [];
    const threeRan = deferred();
    for (const engine of engines) {
      engine.define('beat', async (job) => {
        runs.push(job.id);
        if (runs.length === 3) threeRan.resolve();
      });
    }
    const declared = await engines[0]!.schedule('heartbeat', '* * * * * *', 'beat', { from: 'cron' });
    const redeclared = await engines[1]!.schedule('heartbeat', '* * * * * *', 'beat', { from: 'cron' });
    assert.equal(redeclared.nextRunAt, declared.nextRunAt, 'declaring an unchanged schedule again keeps its tick');
    await Promise.all(engines.map((e) => e.start()));
    await threeRan.promise;
    await Promise.all(engines.map((e) => e.stop()));

    const jobs = await engines[0]!.list({ type: 'beat', limit: 100 });
    const ticks = jobs.map((j) => j.scheduledFor ?? NaN).sort((a, b) => a - b);
    assert.ok(ticks.length >= 3);
    assert.equal(new Set(ticks).size, ticks.length, 'one job per tick');
    assert.ok(ticks.every((t) => t % 1_000 === 0), 'ticks fall on whole seconds');
    assert.deepEqual(ticks.slice(1).map((t, i) => t - ticks[i]!), Array(ticks.length - 1).fill(1_000), 'no tick skipped');
    assert.equal(ticks[0], declared.nextRunAt);
    assert.deepEqual(new Set(jobs.map((j) => JSON.stringify([j.scheduleName, j.payload]))), new Set(['["heartbeat",{"from":"cron"}]']));
    assert.equal(new Set(runs).size, runs.length, 'no job ran twice');
  });

  it('computes the next run of a five-field pattern in the schedule\'s timezone', async () => {
    const engine = await fx.engine();
    const ny = await engine.schedule('new-year-ny', '0 0 1 1 *', 'celebrate', null, { timezone: 'America/New_York' });
    await engine.schedule('new-year-utc', '0 0 1 1 *', 'celebrate', null, { timezone: 'UTC' });
    assert.equal(ny.nextRunAt, nextNewYear(-5));
    assert.equal(await engine.nextRun('new-year-ny'), nextNewYear(-5));
    assert.equal(await engine.nextRun('new-year-utc'), nextNewYear(0));
    assert.deepEqual(
      (await engine.schedules()).map((s) => [s.name, s.cron, s.timezone, s.type, s.nextRunAt, s.lastRunAt]),
      [
        ['new-year-ny', '0 0 1 1 *', 'America/New_York', 'celebrate', nextNewYear(-5), null],
        ['new-year-utc', '0 0 1 1 *', 'UTC', 'celebrate', nextNewYear(0), null],
      ],
    );
  });

  it('recomputes the next run when a schedule is redefined, and forgets it when removed', async () => {
    const engine = await fx.engine();
    await engine.schedule('report', '0 0 1 1 *', 'report', null, { timezone: 'UTC' });
    const redefined = await engine.schedule('report', '0 0 1 1 *', 'report', null, { timezone: 'Asia/Tokyo' });
    assert.equal(redefined.nextRunAt, nextNewYear(9));
    assert.equal(await engine.unschedule('report'), true);
    assert.equal(await engine.unschedule('report'), false);
    assert.equal(await engine.nextRun('report'), null);
  });

  it('rejects bad patterns and timezones, naming the schedule', async () => {
    const engine = await fx.engine();
    await assert.rejects(engine.schedule('bad-minute', '61 * * * *', 't'), /^RangeError: schedule bad-minute: .*minute: 61/);
    await assert.rejects(engine.schedule('seven', '1 2 3 4 5 6 7', 't'), /schedule seven: .*five or six space separated parts/);
    await assert.rejects(engine.schedule('zone', '* * * * *', 't', null, { timezone: 'Mars/Olympus' }), /schedule zone: .*Mars\/Olympus/);
    assert.deepEqual(await engine.schedules(), []);
  });

  it('fires a tick missed while every process was down once, then waits for the next one', async () => {
    const engine = await fx.engine();
    const ran = deferred<string>();
    engine.define('yearly', async (job) => ran.resolve(job.id));
    await engine.schedule('yearly', '0 0 1 1 *', 'yearly', null, { timezone: 'UTC' });
    const missed = Date.now() - 10_000;
    await (fx.database.db as Kysely<JobsSchema>).updateTable('core_job_schedules').set({ next_run_at: missed }).execute();
    await engine.start();
    const id = await ran.promise;
    const job = await engine.get(id);
    assert.deepEqual([job?.scheduleName, job?.scheduledFor], ['yearly', missed]);
    const [schedule] = await engine.schedules();
    assert.deepEqual([schedule?.lastRunAt, schedule?.nextRunAt], [missed, nextNewYear(0)]);
    assert.equal(await engine.count({ type: 'yearly' }), 1);
  });
});
