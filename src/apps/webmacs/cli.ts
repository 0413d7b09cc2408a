import type { CliInvocation, CliRegistry } from '../../cli/registry.ts';
import type { AppContext, BurrowApp } from '../../core/app.ts';
import { AppError } from '../../core/http/index.ts';
import { validatorCompiler } from '../../core/http/validation.ts';
import { createLogger } from '../../core/observability/logger.ts';
import { createServer } from '../../server.ts';
import { passwordHasher } from './auth/passwords.ts';
import { randomPassword } from './bootstrap.ts';
import { cleanupRepo } from './cleanup/repo.ts';
import type { WebmacsDatabase } from './db/schema.ts';
import { announceDatapointsRemoved } from './ingestion/index.ts';
import type { ValidationDetail } from './errors.ts';
import { pluginsRepo } from './plugins/repo.ts';
import type { WebmacsSettingsSpec } from './settings.ts';
import { isoZ, parseInputDatetime } from './time.ts';
import { tokensRepo } from './tokens/repo.ts';
import { tokensService } from './tokens/service.ts';
import { usersRepo, type UserRow } from './users/repo.ts';
import { cachedUsersRepo } from './users/cache.ts';
import { UserCreateBody } from './users/schemas.ts';
import { usersService } from './users/service.ts';
import type { AppDatabase } from '../../core/db/index.ts';

/*
 * `burrow webmacs …` (spec §6 CLI). Each command starts webmacs as `burrow serve` would, without
 * listening: migrations run, and on a fresh data dir the admin is seeded and its password printed, so
 * a CLI run never leaves a database without its first admin.
 */

type WebmacsCtx = AppContext<WebmacsSettingsSpec>;

/** A command that cannot do its work; exit code 2 for usage and validation errors, else 1. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

function services(ctx: WebmacsCtx) {
  const database = ctx.database as AppDatabase<WebmacsDatabase>;
  // Through the cache's invalidation, a running server sharing REDIS_URL drops its cached users at once.
  const users = cachedUsersRepo(usersRepo(database.db), ctx.bus);
  const hashPassword = passwordHasher(ctx.settings.WEBMACS_ARGON2_MEMORY_KIB, ctx.settings.WEBMACS_ARGON2_TIME_COST);
  return {
    database,
    users: usersService(users, database, hashPassword),
    tokens: tokensService(tokensRepo(database.db)),
    async userByEmail(email: string): Promise<UserRow> {
      const user = await users.findByEmail(email);
      if (!user) throw new CommandError(`no user with email '${email}'`, 1);
      return user;
    },
  };
}

/** AppError texts, or each Pydantic-style item as `<field>: <msg>`. */
function describeError(err: unknown): string {
  if (!(err instanceof AppError)) return err instanceof Error ? err.message : String(err);
  const detail = err.extras?.detail as ValidationDetail[] | undefined;
  return detail ? detail.map((item) => `${item.loc.slice(1).join('.')}: ${item.msg}`).join('; ') : err.message;
}

function stringOption(invocation: CliInvocation, name: string): string | undefined {
  const value = invocation.values[name];
  return typeof value === 'string' ? value : undefined;
}

function requiredOption(invocation: CliInvocation, name: string): string {
  const value = stringOption(invocation, name);
  if (value === undefined) throw new CommandError(`--${name} is required`, 2);
  return value;
}

const validateUser = validatorCompiler({ schema: UserCreateBody, method: 'POST', url: 'cli', httpPart: 'body' });

export function registerWebmacsCommands(registry: CliRegistry, app: BurrowApp<WebmacsSettingsSpec>): void {
  async function run(
    invocation: CliInvocation,
    name: string,
    work: (ctx: WebmacsCtx, server: { startWorkers(): Promise<void> }) => Promise<number>,
    env: NodeJS.ProcessEnv = {},
  ): Promise<number> {
    const { io } = invocation;
    let server;
    try {
      server = await createServer({
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        apps: [app as BurrowApp<any>],
        env: { ...io.env, BURROW_APPS: app.id, ...env },
        logger: createLogger('warn', io.stderr),
        announce: (_appId, message) => io.stdout.write(`${message}\n`),
      });
      return await work(server.context(app.id) as WebmacsCtx, server);
    } catch (err) {
      io.stderr.write(`burrow webmacs ${name}: ${describeError(err)}\n`);
      const usage = (err instanceof CommandError && err.exitCode === 2) || (err instanceof AppError && err.status === 422);
      if (usage) io.stderr.write(`\n${registry.helpFor(registry.find(['webmacs', name])!.command)}`);
      return usage ? 2 : 1;
    } finally {
      await server?.close();
    }
  }

  registry.add({
    path: ['webmacs', 'create-user'],
    summary: 'Create a WebMACS user (prints a random password once when none is given)',
    usage: '--email E --username U --role admin|operator|viewer [--password P]',
    options: { email: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' } },
    help: 'Exit codes: 1 when the email or username is taken; 2 on a usage or validation error.',
    run: (invocation) =>
      run(invocation, 'create-user', async (ctx) => {
        const generated = stringOption(invocation, 'password') === undefined ? randomPassword() : undefined;
        const body = {
          email: requiredOption(invocation, 'email'),
          username: requiredOption(invocation, 'username'),
          role: requiredOption(invocation, 'role'),
          password: generated ?? requiredOption(invocation, 'password'),
        };
        if (!validateUser(body)) {
          const issues = (validateUser as unknown as { errors: { instancePath: string; params: Record<string, unknown>; message?: string }[] }).errors;
          throw new CommandError(issues.map((e) => `${e.instancePath.slice(1) || String(e.params.missingProperty)} ${e.message ?? 'is invalid'}`).join('; '), 2);
        }
        const user = await services(ctx).users.create(body as UserCreateBody);
        invocation.io.stdout.write(`User '${user.username}' created (${user.public_id}, ${user.role}).\n`);
        if (generated) invocation.io.stdout.write(`password: ${generated}\n`);
        return 0;
      }),
  });

  registry.add({
    path: ['webmacs', 'reset-password'],
    summary: "Give a user a new random password (printed once); the user's earlier sessions end",
    usage: '--email E',
    options: { email: { type: 'string' } },
    run: (invocation) =>
      run(invocation, 'reset-password', async (ctx) => {
        const { users, userByEmail } = services(ctx);
        const user = await userByEmail(requiredOption(invocation, 'email'));
        const password = randomPassword();
        await users.update(user.public_id, { password });
        invocation.io.stdout.write(`New password for '${user.username}' (shown only once):\npassword: ${password}\n`);
        return 0;
      }),
  });

  registry.add({
    path: ['webmacs', 'create-token'],
    summary: 'Create an API token for a user and print it once',
    usage: '--email E --name N [--expires-at ISO-8601]',
    options: { email: { type: 'string' }, name: { type: 'string' }, 'expires-at': { type: 'string' } },
    run: (invocation) =>
      run(invocation, 'create-token', async (ctx) => {
        const { tokens, userByEmail } = services(ctx);
        const user = await userByEmail(requiredOption(invocation, 'email'));
        const name = requiredOption(invocation, 'name');
        if (name.length < 1 || name.length > 255) throw new CommandError('--name must be 1 to 255 characters', 2);
        const created = await tokens.create(user, { name, expires_at: stringOption(invocation, 'expires-at') ?? null });
        invocation.io.stdout.write(`API token '${created.name}' for '${user.username}' (${created.public_id}), shown only once:\n${created.token}\n`);
        return 0;
      }),
  });

  registry.add({
    path: ['webmacs', 'purge-datapoints'],
    summary: 'Delete every datapoint older than the given time, in chunks',
    usage: '--before ISO-8601',
    options: { before: { type: 'string' } },
    help: 'Running servers that share REDIS_URL drop their cached series at once; a server without Redis may show purged points in series until it restarts.',
    run: (invocation) =>
      run(invocation, 'purge-datapoints', async (ctx) => {
        const text = requiredOption(invocation, 'before');
        const before = parseInputDatetime(text);
        if (before === undefined) throw new CommandError(`--before: not an ISO-8601 datetime: ${JSON.stringify(text)}`, 2);
        const repo = cleanupRepo((ctx.database as AppDatabase<WebmacsDatabase>).db);
        const deleted = await repo.deleteDatapointsBefore(before, ctx.settings.WEBMACS_DELETE_CHUNK_ROWS);
        if (deleted > 0) announceDatapointsRemoved(ctx.bus, ctx.database);
        invocation.io.stdout.write(`${deleted} datapoints older than ${isoZ(before)} deleted.\n`);
        return 0;
      }),
  });

  registry.add({
    path: ['webmacs', 'seed-demo'],
    summary: 'Create the Simulated Device plugin instance on a database without instances or events',
    help: 'Exit codes: 1 when the database already has plugin instances or events (nothing is created).',
    run: (invocation) =>
      run(
        invocation,
        'seed-demo',
        async (ctx, server) => {
          const plugins = pluginsRepo((ctx.database as AppDatabase<WebmacsDatabase>).db);
          const before = await plugins.count();
          // The start-up auto-seed (spec §4.5) is the one code path that creates the demo instance.
          await server.startWorkers();
          if (before > 0 || (await plugins.count()) === 0) {
            throw new CommandError('nothing seeded: the database already has plugin instances or events', 1);
          }
          invocation.io.stdout.write("Plugin instance 'Simulated Device' created.\n");
          return 0;
        },
        { WEBMACS_AUTO_SEED: 'true', WEBMACS_ENV: 'development', WEBMACS_CONTROLLER: 'false' },
      ),
  });
}
