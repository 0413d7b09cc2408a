import { pino, type Logger, type LoggerOptions } from 'pino';

/** Header and body fields that may carry credentials; pino replaces them with [redacted]. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.api_key',
  '*.apiKey',
];

export function createLogger(level: LoggerOptions['level'], destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Query strings may carry tokens (WebSocket auth, OIDC codes): log the path only.
      req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, path: req.url.split('?', 1)[0] }),
    },
  };
  return destination ? pino(options, destination as Parameters<typeof pino>[1]) : pino(options);
}
