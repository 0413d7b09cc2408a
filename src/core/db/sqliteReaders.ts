import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

/*
 * Reader threads for SQLite files. better-sqlite3 runs every statement on the calling thread, so one
 * server process reads on one core while the rest of the machine idles. A WAL database takes any
 * number of readers beside its writer: each worker thread opens the files it is asked about read-only
 * and answers read statements in its own thread, and the main thread keeps the writes and transactions.
 * One pool serves every database of the process (one file per app), so threads do not multiply per app.
 */

/** what a reader answers: the raw rows (arrays, in the statement's column order) and its own time */
export interface ReaderResult {
  rows: unknown[][];
  /** time the statement took in the reader, µs */
  micros: number;
}

type Request =
  | { kind: 'read'; id: number; file: string; sql: string; parameters: unknown[] }
  | { kind: 'close'; file: string };

type Reply =
  | { id: number; json: string; micros: number }
  | { id: number; rows: unknown[][]; micros: number }
  /** `opening`: the reader could not open the file, so the statement never ran */
  | { id: number; error: { message: string; code: string; opening: boolean } };

/**
 * A read no reader could run: its thread is gone, or it could not open the file (removed or replaced
 * underneath the server, say). The statement never ran, so the main connection can answer it instead.
 */
export class ReaderUnavailableError extends Error {
  override name = 'ReaderUnavailableError';
}

/** statements each reader keeps prepared per file, least recently used dropped first */
const STATEMENTS_PER_FILE = 500;

// Run as a CommonJS script by `eval`, so it needs no TypeScript loader in the thread.
const READER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const CACHE = ${STATEMENTS_PER_FILE};
const files = new Map();
function open(file) {
  let entry = files.get(file);
  if (!entry) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    entry = { db, statements: new Map() };
    files.set(file, entry);
  }
  return entry;
}
function statementOf(entry, sql) {
  let statement = entry.statements.get(sql);
  if (statement) {
    entry.statements.delete(sql);
  } else {
    statement = entry.db.prepare(sql).raw(true);
    if (entry.statements.size >= CACHE) entry.statements.delete(entry.statements.keys().next().value);
  }
  entry.statements.set(sql, statement);
  return statement;
}
parentPort.on('message', (request) => {
  if (request.kind === 'close') {
    const entry = files.get(request.file);
    files.delete(request.file);
    return void entry?.db.close();
  }
  let entry;
  try {
    entry = open(request.file);
  } catch (err) {
    return void parentPort.postMessage({ id: request.id, error: { message: String(err && err.message), code: String(err && err.code), opening: true } });
  }
  const started = performance.now();
  try {
    const rows = statementOf(entry, request.sql).all(request.parameters);
    const micros = Math.round((performance.now() - started) * 1000);
    // The main thread takes a 101-row page in about two thirds of its time as JSON than as a structured
    // clone; values JSON cannot carry exactly (blobs, big integers, infinities, -0) go as a clone.
    const exact = rows.every((row) => row.every((value) => (typeof value === 'number' ? Number.isFinite(value) && !Object.is(value, -0) : typeof value === 'string' || value === null)));
    parentPort.postMessage(exact ? { id: request.id, json: JSON.stringify(rows), micros } : { id: request.id, rows, micros });
  } catch (err) {
    parentPort.postMessage({ id: request.id, error: { message: String(err && err.message), code: String(err && err.code), opening: false } });
  }
});
`;

interface Pending {
  resolve(result: ReaderResult): void;
  reject(err: Error): void;
}

/** A blob crosses threads as a plain Uint8Array; rows hold Buffers as better-sqlite3 gives them. */
function withBuffers(rows: unknown[][]): unknown[][] {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[i] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return rows;
}

class ReaderThread {
  readonly pending = new Map<number, Pending>();
  readonly worker: Worker;

  constructor(driver: string, onGone: (thread: ReaderThread) => void) {
    this.worker = new Worker(READER_SCRIPT, { eval: true, workerData: { driver } });
    // An idle reader must not keep the process alive; one with work in flight must.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!this.pending.size) this.worker.unref();
      if (!pending) return;
      if ('error' in reply) {
        const { message, code, opening } = reply.error;
        pending.reject(opening ? new ReaderUnavailableError(`SQLite reader could not open the file: ${message}`) : new Database.SqliteError(message, code));
      }
      else pending.resolve({ rows: 'json' in reply ? (JSON.parse(reply.json) as unknown[][]) : withBuffers(reply.rows), micros: reply.micros });
    });
    const fail = (cause: Error) => {
      const err = cause instanceof ReaderUnavailableError ? cause : new ReaderUnavailableError(`SQLite reader thread failed: ${cause.message}`);
      onGone(this);
      for (const pending of this.pending.values()) pending.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new ReaderUnavailableError(`SQLite reader thread exited (code ${code})`)));
  }

  send(request: Request, pending?: Pending & { id: number }): void {
    if (pending) {
      if (!this.pending.size) this.worker.ref();
      this.pending.set(pending.id, pending);
    }
    this.worker.postMessage(request);
  }
}

export class SqliteReaders {
  readonly #driver = createRequire(import.meta.url).resolve('better-sqlite3');
  readonly #threads: ReaderThread[] = [];
  #nextId = 0;

  /** `size` threads at most, started as reads first need them */
  constructor(readonly size: number) {}

  /** no read is in flight on any reader */
  get idle(): boolean {
    return this.#threads.every((thread) => thread.pending.size === 0);
  }

  /** Runs a read-only statement on the least busy reader; it sees what the writer has committed. */
  read(file: string, sql: string, parameters: unknown[]): Promise<ReaderResult> {
    const thread = this.#leastBusy();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => thread.send({ kind: 'read', id, file, sql, parameters }, { id, resolve, reject }));
  }

  /** The readers close the file (a new database may later take its path). Ordered after earlier reads. */
  close(file: string): void {
    for (const thread of this.#threads) thread.send({ kind: 'close', file });
  }

  #leastBusy(): ReaderThread {
    let best: ReaderThread | undefined;
    for (const thread of this.#threads) if (!best || thread.pending.size < best.pending.size) best = thread;
    if (best && (best.pending.size === 0 || this.#threads.length >= this.size)) return best;
    const started = new ReaderThread(this.#driver, (gone) => {
      // a thread reports its end twice, by 'error' and then 'exit'
      const at = this.#threads.indexOf(gone);
      if (at >= 0) this.#threads.splice(at, 1);
    });
    this.#threads.push(started);
    return started;
  }
}
