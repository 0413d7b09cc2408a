import { randomBytes } from 'node:crypto';
import type { Role } from '../db/schema.ts';
import { errors } from '../errors.ts';
import type { UserRow, UsersRepo } from '../users/repo.ts';

export interface Identity {
  subject: string;
  email: string;
  emailVerified: boolean;
  preferredUsername?: string;
  name?: string;
}

const MAX_USERNAME = 50;
const suffix = () => randomBytes(3).toString('hex');

/** `preferred_username` ‖ `name` ‖ email local part, reduced to [A-Za-z0-9._-] and 50 chars (spec §3.2). */
export async function usernameFor(identity: Identity, users: UsersRepo): Promise<string> {
  const source = identity.preferredUsername || identity.name || identity.email.split('@')[0] || '';
  const base = source.replace(/[^A-Za-z0-9._-]/g, '').slice(0, MAX_USERNAME);
  if (!base) return `sso_user_${suffix()}`;
  if (!(await users.usernameTaken(base))) return base;
  const tail = `_${suffix()}`;
  return base.slice(0, MAX_USERNAME - tail.length) + tail;
}

export interface ResolveOptions {
  provider: string;
  autoCreate: boolean;
  defaultRole: Role;
  users: UsersRepo;
  createUser(identity: Identity, username: string): Promise<UserRow>;
}

/**
 * Finds the local user for an IdP identity (spec §3.2): by (provider, subject); else by email, which
 * must be verified and never links an admin; else auto-created when allowed, again with a verified email.
 */
export async function resolveUser(identity: Identity, options: ResolveOptions): Promise<UserRow> {
  const { users } = options;
  const linked = await users.findBySso(options.provider, identity.subject);
  if (linked) return linked;
  const byEmail = await users.findByEmail(identity.email);
  if (byEmail) {
    if (!identity.emailVerified) throw errors.ssoLinkUnverified();
    if (byEmail.role === 'admin') throw errors.ssoLinkAdmin();
    await users.update(byEmail.id, { sso_provider: options.provider, sso_subject_id: identity.subject });
    return { ...byEmail, sso_provider: options.provider, sso_subject_id: identity.subject };
  }
  if (!options.autoCreate) throw errors.ssoAutoCreateDisabled();
  if (!identity.emailVerified) throw errors.ssoCreateUnverified();
  return options.createUser(identity, await usernameFor(identity, users));
}
