import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  base62,
  generateToken,
  hashPassword,
  hashToken,
  safeEqual,
  signJwt,
  uuidv7,
  verifyJwt,
  verifyPassword,
} from '../../../src/core/secrets/index.ts';

const SECRET = 'a-test-secret-of-reasonable-length-0123456789';

describe('tokens', () => {
  it('base62 encodes zero bytes as zeros padded to the full length', () => {
    assert.equal(base62(new Uint8Array(32)), '0'.repeat(43));
  });

  it('base62 encodes known values with the 0-9a-zA-Z alphabet', () => {
    assert.equal(base62(Uint8Array.from([61])), '0Z');
    assert.equal(base62(Uint8Array.from([62])), '10');
    assert.equal(base62(Uint8Array.from([0xff, 0xff])), 'h31');
    assert.equal(base62(new Uint8Array(32).fill(0xff)), 'YHJSKWDa6oz1al1yMhwzwM8llg7hJNUca2J5RoW8xP1');
  });

  it('generateToken gives the prefix and 43 base62 characters by default', () => {
    const token = generateToken('sq_');
    assert.match(token, /^sq_[0-9a-zA-Z]{43}$/);
    assert.notEqual(generateToken('sq_'), token);
  });

  it('generateToken can use base64url and other sizes', () => {
    assert.match(generateToken('wm_', 48, 'base64url'), /^wm_[A-Za-z0-9_-]{64}$/);
    assert.match(generateToken('x', 16), /^x[0-9a-zA-Z]{22}$/);
  });

  it('hashToken is the SHA-256 hex digest', () => {
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('safeEqual compares strings of any length', () => {
    assert.equal(safeEqual('secret', 'secret'), true);
    assert.equal(safeEqual('secret', 'secreT'), false);
    assert.equal(safeEqual('secret', 'secret-longer'), false);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('', 'x'), false);
  });
});

describe('passwords', () => {
  it('hashes with argon2id and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse');
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(stored, 'correct horse'), true);
    assert.equal(await verifyPassword(stored, 'correct horsE'), false);
  });

  it('takes an app-chosen cost and still verifies hashes made at the default cost', async () => {
    const cheap = await hashPassword('pw', { memoryCost: 8192, timeCost: 1 });
    assert.match(cheap, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    assert.equal(await verifyPassword(cheap, 'pw'), true);
    assert.equal(await verifyPassword(await hashPassword('pw'), 'pw'), true);
  });

  it('returns false for malformed stored hashes instead of throwing', async () => {
    for (const stored of ['', 'plain-text', '$argon2id$v=19$garbage', createHash('sha256').update('x').digest('hex')]) {
      assert.equal(await verifyPassword(stored, 'anything'), false, stored);
    }
  });
});

describe('jwt', () => {
  it('round-trips claims with iat, exp, iss, aud and jti', async () => {
    const token = await signJwt({ sub: 'user-1', role: 'admin' }, { secret: SECRET, expiresIn: 60, issuer: 'burrow', audience: 'api', jti: 'j1' });
    const result = await verifyJwt(token, { secret: SECRET, issuer: 'burrow', audience: 'api' });
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.equal(result.payload.sub, 'user-1');
    assert.equal(result.payload.role, 'admin');
    assert.equal(result.payload.jti, 'j1');
    assert.equal(result.payload.exp! - result.payload.iat!, 60);
  });

  it('reports an expired token as expired', async () => {
    const token = await signJwt({ sub: 'u' }, { secret: SECRET, expiresIn: -10 });
    const result = await verifyJwt(token, { secret: SECRET });
    assert.deepEqual(result.ok ? result : { ok: result.ok, reason: result.reason }, { ok: false, reason: 'expired' });
  });

  it('accepts a recently expired token within the clock tolerance', async () => {
    const token = await signJwt({ sub: 'u' }, { secret: SECRET, expiresIn: -10 });
    const result = await verifyJwt(token, { secret: SECRET, clockToleranceSec: 30 });
    assert.equal(result.ok, true);
  });

  it('reports a wrong secret as invalid', async () => {
    const token = await signJwt({ sub: 'u' }, { secret: SECRET, expiresIn: 60 });
    const result = await verifyJwt(token, { secret: `${SECRET}x` });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'invalid');
  });

  it('reports a tampered payload as invalid', async () => {
    const token = await signJwt({ sub: 'user-1' }, { secret: SECRET, expiresIn: 60 });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const result = await verifyJwt(`${header}.${forged}.${signature}`, { secret: SECRET });
    assert.equal(!result.ok && result.reason, 'invalid');
  });

  it('reports garbage, a wrong issuer or audience, and a missing exp as invalid', async () => {
    const token = await signJwt({ sub: 'u' }, { secret: SECRET, expiresIn: 60, issuer: 'a', audience: 'b' });
    const noExp = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    const cases: Array<[string, Parameters<typeof verifyJwt>[1]]> = [
      ['not-a-jwt', { secret: SECRET }],
      ['a.b.c', { secret: SECRET }],
      ['', { secret: SECRET }],
      [token, { secret: SECRET, issuer: 'other' }],
      [token, { secret: SECRET, audience: 'other' }],
      [noExp, { secret: SECRET }],
    ];
    for (const [candidate, options] of cases) {
      const result = await verifyJwt(candidate, options);
      assert.equal(!result.ok && result.reason, 'invalid', candidate);
    }
  });

  it('rejects tokens signed with another algorithm', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const result = await verifyJwt(`${header}.${body}.`, { secret: SECRET });
    assert.equal(!result.ok && result.reason, 'invalid');
  });
});

describe('uuidv7', () => {
  it('produces 10,000 strictly increasing lowercase hyphenated ids', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('sets the version 7 and RFC 9562 variant bits', () => {
    for (let i = 0; i < 1000; i++) assert.match(uuidv7(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries the current unix time in milliseconds in its first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(ms >= before && ms <= after + 1, `${before} <= ${ms} <= ${after}`);
  });
});
