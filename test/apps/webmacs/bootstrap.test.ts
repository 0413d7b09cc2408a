import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { webmacsApp } from '../../../src/apps/webmacs/index.ts';
import { startTestServer } from '../../helpers/server.ts';

const FAST_HASHING = { WEBMACS_ARGON2_MEMORY_KIB: '1024', WEBMACS_ARGON2_TIME_COST: '1', WEBMACS_CONTROLLER: 'false' };

describe('webmacs first start (spec §4.8, D8, D9)', () => {
  it('§12.11 a fresh database gets one admin whose random password is printed once and works; admin123 does not', async () => {
    const printed: string[] = [];
    const first = await startTestServer([webmacsApp], { env: FAST_HASHING, announce: (_app, message) => printed.push(message) });
    const password = /password: (\S+)/.exec(printed.join('\n'))?.[1];
    assert.equal(printed.length, 1);
    assert.match(password ?? '', /^[A-Za-z0-9]{20}$/);
    const login = (pw: string) =>
      first.server.fastify.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@webmacs.io', password: pw } });
    const before = await login(password!);
    assert.equal(before.statusCode, 200);
    assert.equal((await login('admin123')).statusCode, 401);
    await first.dispose({ keep: true });

    const again: string[] = [];
    const restarted = await startTestServer([webmacsApp], {
      env: FAST_HASHING,
      reuse: { dataDir: first.dataDir, schemas: first.schemas },
      announce: (_app, message) => again.push(message),
    });
    try {
      assert.deepEqual(again, [], 'the password is printed only on the first start');
      // The generated secret key was persisted, so a JWT issued before the restart still verifies.
      const token = before.json().access_token;
      const users = await restarted.server.fastify.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } });
      assert.equal(users.statusCode, 200);
      assert.equal(users.json().total, 1);
    } finally {
      await restarted.dispose();
    }
  });

  it('a WEBMACS_SECRET_KEY shorter than 32 characters stops the start with a message naming the variable', async () => {
    await assert.rejects(startTestServer([webmacsApp], { env: { ...FAST_HASHING, WEBMACS_SECRET_KEY: 'short' } }), /WEBMACS_SECRET_KEY/);
  });
});
