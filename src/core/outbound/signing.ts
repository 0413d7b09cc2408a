import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of the exact body bytes (what `openssl dgst -sha256 -hmac <secret>` prints). */
export function signBody(secret: string | Uint8Array, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time check of a hex signature; false for anything that is not one. */
export function verifySignature(secret: string | Uint8Array, body: string | Uint8Array, signature: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(signBody(secret, body), 'hex'), Buffer.from(signature, 'hex'));
}

const STANDARD_WEBHOOKS_PREFIX = 'whsec_';

/**
 * A `whsec_` secret is base64 key material (the Standard Webhooks convention); any other secret is
 * used as its raw UTF-8 bytes, as the reference libraries' `format: "raw"` does.
 */
function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(STANDARD_WEBHOOKS_PREFIX)
    ? Buffer.from(secret.slice(STANDARD_WEBHOOKS_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/**
 * Standard Webhooks (standardwebhooks.com) headers: `webhook-signature` is `v1,` + base64 HMAC-SHA256
 * of `<id>.<timestamp>.<body>`. The id stays the same across retries so receivers can dedupe.
 */
export function standardWebhookHeaders(input: {
  secret: string;
  id: string;
  /** unix seconds of this attempt */
  timestamp: number;
  body: string;
}): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const signed = `${input.id}.${input.timestamp}.${input.body}`;
  const signature = createHmac('sha256', standardWebhooksKey(input.secret)).update(signed, 'utf8').digest('base64');
  return { 'webhook-id': input.id, 'webhook-timestamp': String(input.timestamp), 'webhook-signature': `v1,${signature}` };
}
