// Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_<base64 key>`, and each
// request carries webhook-id, webhook-timestamp and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** The spec's bounds for the key behind a secret. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A fresh secret with a 32-byte key. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The key of a `whsec_<base64>` secret, or a sentence saying what is wrong with it. Only padded standard
 * base64 is accepted: it is what every Standard Webhooks library decodes the same way.
 */
export function parseSecret(secret: string): Buffer | string {
  if (!secret.startsWith(SECRET_PREFIX)) return `must have the form ${SECRET_PREFIX}<base64>`;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded === '' || !STRICT_BASE64.test(encoded)) return `must be ${SECRET_PREFIX} followed by standard, padded base64`;
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    return `its key must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (got ${key.length}); e.g. ${SECRET_PREFIX} + 32 random bytes in base64`;
  }
  return key;
}

/** The three Standard Webhooks headers for one attempt at sending `body`. `timestamp` is Unix seconds. */
export function signatureHeaders(key: Buffer, id: string, timestamp: number, body: string): Record<string, string> {
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
}
