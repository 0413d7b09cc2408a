import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../core/config.ts';
import type { WebmacsContext } from './context.ts';
import { newPublicId } from './ids.ts';
import type { WebmacsSettings } from './settings.ts';
import { nowMicros } from './time.ts';

const MIN_SECRET_LENGTH = 32;

/**
 * WEBMACS_SECRET_KEY, or a key generated once into `<files>/secret_key` (0600) and reused by every
 * later start and by other processes on the same data dir (D9). Shorter than 32 characters is refused.
 */
export function loadSecretKey(settings: WebmacsSettings, filesDir: string): string {
  if (settings.WEBMACS_SECRET_KEY !== undefined) {
    if (settings.WEBMACS_SECRET_KEY.length < MIN_SECRET_LENGTH) {
      throw new ConfigError('WEBMACS_SECRET_KEY', `must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    return settings.WEBMACS_SECRET_KEY;
  }
  const file = path.join(filesDir, 'secret_key');
  fs.mkdirSync(filesDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    // Another start created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < MIN_SECRET_LENGTH) throw new ConfigError('WEBMACS_SECRET_KEY', `${file} holds a key shorter than ${MIN_SECRET_LENGTH} characters`);
  return key;
}

const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function randomPassword(length = 20): string {
  let out = '';
  for (const byte of randomBytes(length * 2)) {
    // 232 = 4 × 58: bytes above are skipped so every character is equally likely.
    if (byte < 232) out += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length];
    if (out.length === length) break;
  }
  return out.length === length ? out : out + randomPassword(length - out.length);
}

/**
 * On an empty database: the admin of WEBMACS_INITIAL_ADMIN_*; its password, when not configured, is
 * random and printed once (D8: never upstream's `admin123`, never logged, never stored in clear).
 */
export async function seedAdmin(wm: WebmacsContext): Promise<void> {
  if ((await wm.users.count()) > 0) return;
  const { settings } = wm;
  const password = settings.WEBMACS_INITIAL_ADMIN_PASSWORD ?? randomPassword();
  const now = nowMicros();
  try {
    await wm.users.insert({
      public_id: newPublicId('usr'),
      email: settings.WEBMACS_INITIAL_ADMIN_EMAIL,
      username: settings.WEBMACS_INITIAL_ADMIN_USERNAME,
      password_hash: await wm.hashPassword(password),
      role: 'admin',
      registered_on: now,
      password_changed_at: null,
      sso_provider: null,
      sso_subject_id: null,
    });
  } catch (err) {
    // Another instance sharing the database seeded it in the meantime.
    if (wm.database.dialect.isUniqueViolation(err)) return;
    throw err;
  }
  if (settings.WEBMACS_INITIAL_ADMIN_PASSWORD === undefined) {
    const rule = '='.repeat(60);
    wm.app.announce(
      [
        rule,
        'WebMACS admin account created. This password is shown only once:',
        `  email:    ${settings.WEBMACS_INITIAL_ADMIN_EMAIL}`,
        `  username: ${settings.WEBMACS_INITIAL_ADMIN_USERNAME}`,
        `  password: ${password}`,
        rule,
      ].join('\n'),
    );
  }
}

/** `WebMACS Backend v<version> started.` attributed to the first admin (spec §3.8). */
export async function logStartup(wm: WebmacsContext): Promise<void> {
  const admin = await wm.users.firstAdmin();
  if (admin) await wm.log.write(admin.id, `WebMACS Backend v${wm.settings.WEBMACS_VERSION} started.`);
}
