import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { signBody, standardWebhookHeaders, verifySignature } from '../../../src/core/outbound/index.ts';

/** HMAC-SHA256 computed by OpenSSL, not by node:crypto, over exactly these bytes. */
function opensslHmac(keyArgs: string[], data: string | Buffer, output: 'hex' | 'binary'): string {
  const result = spawnSync('openssl', ['dgst', '-sha256', ...keyArgs, ...(output === 'binary' ? ['-binary'] : [])], { input: data });
  assert.equal(result.status, 0, result.stderr.toString());
  if (output === 'binary') return result.stdout.toString('base64');
  return result.stdout.toString('utf8').trim().split(' ').pop()!;
}

describe('webhook signing', () => {
  const body = '{"event":"experiment.started","value":21.5,"text":"naïve ✓"}';

  it('signBody matches openssl dgst -sha256 -hmac on the exact body', () => {
    assert.equal(signBody('s3cr3t', body), opensslHmac(['-hmac', 's3cr3t'], Buffer.from(body, 'utf8'), 'hex'));
  });

  it('signs raw bytes as given', () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0x7b]);
    assert.equal(signBody('k', bytes), opensslHmac(['-hmac', 'k'], bytes, 'hex'));
  });

  it('verifySignature accepts the right signature and rejects others', () => {
    const signature = signBody('s3cr3t', body);
    assert.equal(verifySignature('s3cr3t', body, signature), true);
    assert.equal(verifySignature('s3cr3t', body, signature.toUpperCase()), true);
    assert.equal(verifySignature('other', body, signature), false);
    assert.equal(verifySignature('s3cr3t', `${body} `, signature), false);
    assert.equal(verifySignature('s3cr3t', body, signature.slice(0, 63)), false);
    assert.equal(verifySignature('s3cr3t', body, 'zz'.repeat(32)), false);
    assert.equal(verifySignature('s3cr3t', body, ''), false);
  });

  it('Standard Webhooks headers sign "<id>.<timestamp>.<body>" with a whsec_ base64 key', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const headers = standardWebhookHeaders({ secret: `whsec_${key.toString('base64')}`, id: 'msg_1', timestamp: 1_700_000_000, body });
    const expected = opensslHmac(['-mac', 'HMAC', '-macopt', `hexkey:${key.toString('hex')}`], `msg_1.1700000000.${body}`, 'binary');
    assert.deepEqual(headers, { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${expected}` });
  });

  it('Standard Webhooks headers use a plain secret as raw bytes', () => {
    const headers = standardWebhookHeaders({ secret: 'plain-secret-1234', id: 'd1', timestamp: 5, body: '{}' });
    assert.equal(headers['webhook-signature'], `v1,${opensslHmac(['-hmac', 'plain-secret-1234'], 'd1.5.{}', 'binary')}`);
  });
});
