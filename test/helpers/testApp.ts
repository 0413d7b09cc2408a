import { Type } from '@sinclair/typebox';
import { sql, type Kysely } from 'kysely';
import { defineApp, type BurrowApp } from '../../src/core/app.ts';
import { env } from '../../src/core/config.ts';
import { AppError, type ErrorEnvelope } from '../../src/core/http/index.ts';

/**
 * A small app that exists only to drive the core in tests: a notes resource with its own envelope
 * (`{"error": {"code", "message"}}`), a route that crashes, and a job type.
 */
export const notesEnvelope: ErrorEnvelope = (problem, requestId) => {
  const codes: Record<string, string> = {
    not_found: 'NOT_FOUND',
    method_not_allowed: 'METHOD_NOT_ALLOWED',
    payload_too_large: 'PAYLOAD_TOO_LARGE',
    unsupported_media_type: 'UNSUPPORTED_MEDIA_TYPE',
    malformed_json: 'INVALID_JSON',
    validation: 'VALIDATION_ERROR',
    rate_limited: 'RATE_LIMITED',
    unavailable: 'UNAVAILABLE',
    internal: 'INTERNAL',
  };
  const message = problem.kind === 'internal' ? `internal error (request ${requestId})` : problem.message;
  return {
    status: problem.status,
    body: {
      error: {
        code: problem.code ?? codes[problem.kind],
        message,
        ...(problem.validation ? { fields: problem.validation.map((v) => `${v.in}:${v.field}`) } : {}),
        ...problem.extras,
      },
    },
  };
};

const noteBody = Type.Object({ title: Type.String({ minLength: 1, maxLength: 100 }), stars: Type.Optional(Type.Integer({ minimum: 0 })) });

export function createNotesApp(overrides: Partial<BurrowApp> = {}): BurrowApp {
  return defineApp({
    id: 'notes',
    title: 'Notes (test app)',
    version: '0.0.1',
    prefixes: ['/notes', '/n'],
    envelope: notesEnvelope,
    settings: { NOTES_GREETING: env.string({ default: 'hello', description: 'greeting' }) },
    migrations: {
      '0001_notes': {
        async up(db: Kysely<unknown>) {
          await db.schema
            .createTable('notes')
            .addColumn('id', 'integer', (c) => c.primaryKey())
            .addColumn('title', 'text', (c) => c.notNull())
            .addColumn('stars', 'integer', (c) => c.notNull().defaultTo(0))
            .execute();
        },
      },
    },
    bodyLimit: () => 4096,
    async register(scope, ctx) {
      const db = ctx.database.db as Kysely<{ notes: { id: number; title: string; stars: number } }>;
      scope.get('/notes', async () => db.selectFrom('notes').selectAll().orderBy('id').execute());
      scope.post('/notes', { schema: { body: noteBody } }, async (request) => {
        const body = request.body as { title: string; stars?: number };
        const [row] = await db
          .insertInto('notes')
          .values({ id: Number(await nextId(db)), title: body.title, stars: body.stars ?? 0 })
          .returningAll()
          .execute();
        return row;
      });
      scope.get('/notes/:id', { schema: { params: Type.Object({ id: Type.Integer() }) } }, async (request) => {
        const { id } = request.params as { id: number };
        const row = await db.selectFrom('notes').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new AppError(404, 'NOTE_NOT_FOUND', `note ${id} not found`, { extras: { id } });
        return row;
      });
      scope.get('/notes/greeting', async () => ({ greeting: ctx.settings.NOTES_GREETING }));
      scope.get('/notes/crash', async () => {
        throw new Error('secret internal detail');
      });
    },
    ...overrides,
  });
}

async function nextId(db: Kysely<{ notes: { id: number; title: string; stars: number } }>): Promise<number> {
  const row = await sql<{ next: number }>`select coalesce(max(id), 0) + 1 as next from notes`.execute(db);
  return Number(row.rows[0]?.next ?? 1);
}
