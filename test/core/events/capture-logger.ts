import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A real pino logger whose records land in an array, for asserting what was logged. */
export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as LogRecord);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), records };
}

export const pinoLevels = { info: 30, warn: 40, error: 50 } as const;
