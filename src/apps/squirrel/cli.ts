import { AppError } from '../../core/http/index.ts';
import type { CliInvocation, CliRegistry } from '../../cli/registry.ts';
import { platformSettings, readSettings } from '../../core/config.ts';
import { appDatabaseOptions, migrateToLatest, openAppDatabase, type AppDatabase } from '../../core/db/index.ts';
import { createApiKeyRepo } from './apikeys/repo.ts';
import { createApiKeyService, type ApiKeyService, type ApiKeyView } from './apikeys/service.ts';
import { squirrelMigrations } from './db/migrations/index.ts';
import type { SquirrelDb } from './db/schema.ts';

/** Opens squirrel's database straight from the environment, as `burrow serve` would (spec §6 CLI). */
async function withKeys(invocation: CliInvocation, work: (keys: ApiKeyService) => Promise<number>): Promise<number> {
  const config = readSettings(platformSettings, invocation.io.env);
  const database = (await openAppDatabase(appDatabaseOptions('squirrel', config))) as AppDatabase<SquirrelDb>;
  try {
    await migrateToLatest(database, { name: 'squirrel', migrations: squirrelMigrations });
    return await work(createApiKeyService(createApiKeyRepo(database), database.dialect));
  } catch (err) {
    invocation.io.stderr.write(`burrow squirrel keys: ${err instanceof AppError ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await database.close();
  }
}

function describeKey(key: ApiKeyView): string {
  const access = [key.read_access ? 'read' : '', key.write_access ? 'write' : ''].filter(Boolean).join('+');
  return `${key.id}  ${key.app_name}  ${access}  ${key.is_active ? 'active' : 'inactive'}  created ${key.created_at}`;
}

export function registerKeyCommands(registry: CliRegistry): void {
  registry.add({
    path: ['squirrel', 'keys', 'create'],
    summary: 'Create a squirrel API key and print its token once',
    usage: '<app-name> [--read|-r] [--write|-w] [--json]',
    help: 'Exit codes: 1 when the app name already has an active key; 2 on a usage error (no app name, or neither flag).',
    options: { read: { type: 'boolean', short: 'r' }, write: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } },
    async run(invocation) {
      const { values, positionals, io } = invocation;
      const appName = positionals[0]?.trim();
      const read = values.read === true;
      const write = values.write === true;
      if (!appName || positionals.length > 1 || appName.length > 255 || (!read && !write)) {
        io.stderr.write(`${registry.helpFor(registry.find(['squirrel', 'keys', 'create'])!.command)}`);
        return 2;
      }
      return withKeys(invocation, async (keys) => {
        const created = await keys.create(appName, read, write);
        io.stdout.write(values.json ? `${JSON.stringify(created)}\n` : `${describeKey(created)}\ntoken: ${created.token}\n`);
        return 0;
      });
    },
  });

  registry.add({
    path: ['squirrel', 'keys', 'list'],
    summary: 'List squirrel API keys (never their tokens)',
    usage: '[--active|-a] [--json]',
    options: { active: { type: 'boolean', short: 'a' }, json: { type: 'boolean' } },
    async run(invocation) {
      const { values, io } = invocation;
      return withKeys(invocation, async (keys) => {
        const list = await keys.list(values.active === true);
        io.stdout.write(values.json ? `${JSON.stringify(list)}\n` : list.map((k) => `${describeKey(k)}\n`).join(''));
        return 0;
      });
    },
  });

  registry.add({
    path: ['squirrel', 'keys', 'deactivate'],
    summary: 'Deactivate a squirrel API key by id',
    usage: '<id>',
    async run(invocation) {
      const { positionals, io } = invocation;
      if (positionals.length !== 1) {
        io.stderr.write(registry.helpFor(registry.find(['squirrel', 'keys', 'deactivate'])!.command));
        return 2;
      }
      return withKeys(invocation, async (keys) => {
        io.stdout.write(`${describeKey(await keys.deactivate(positionals[0]!, undefined, true))}\n`);
        return 0;
      });
    },
  });
}
