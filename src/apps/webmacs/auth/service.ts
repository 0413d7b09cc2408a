import { randomBytes } from 'node:crypto';
import { verifyPassword } from '../../../core/secrets/index.ts';
import type { WebmacsContext } from '../context.ts';
import { errors } from '../errors.ts';
import { nowMicros } from '../time.ts';
import type { UserRow } from '../users/repo.ts';
import type { Principal } from './guard.ts';
import type { LoginLockout } from './lockout.ts';
import type { RevocationsRepo } from './repo.ts';

export function authService(wm: WebmacsContext, lockout: LoginLockout, revocations: RevocationsRepo) {
  // Unknown emails still pay for one verify, so response time does not tell which emails exist (spec §2.4).
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= wm.hashPassword(randomBytes(16).toString('hex')));

  async function tokenResponse(user: UserRow) {
    const { token, expiresIn } = await wm.auth.issueAccessToken(user);
    return { access_token: token, expires_in: expiresIn };
  }

  return {
    async login(email: string, password: string) {
      const key = email.toLowerCase();
      const lockedFor = await lockout.lockedFor(key);
      if (lockedFor > 0) throw errors.loginLocked(lockedFor);
      const user = await wm.users.findByEmail(email);
      const valid = user ? await verifyPassword(user.password_hash, password) : await verifyPassword(await dummy(), password).then(() => false);
      if (!user || !valid) {
        await lockout.recordFailure(key);
        throw errors.invalidCredentials();
      }
      const { access_token, expires_in } = await tokenResponse(user);
      await wm.log.write(user.id, `User '${user.username}' logged in.`);
      return {
        status: 'success' as const,
        message: 'Successfully logged in.',
        access_token,
        public_id: user.public_id,
        username: user.username,
        token_type: 'bearer' as const,
        expires_in,
      };
    },

    /** Revokes the presented JWT until it would expire; an API token is left alone (spec §3.1). */
    async logout(principal: Principal): Promise<void> {
      if (principal.via === 'jwt') await revocations.revoke(principal.jti, principal.user.id, principal.expiresAt);
    },

    /** Sets password_changed_at, which invalidates every JWT issued before (spec §3.1, Addition). */
    async changePassword(user: UserRow, currentPassword: string, newPassword: string) {
      if (!(await verifyPassword(user.password_hash, currentPassword))) throw errors.currentPasswordIncorrect();
      const changedAt = nowMicros();
      await wm.users.update(user.id, { password_hash: await wm.hashPassword(newPassword), password_changed_at: changedAt });
      const { access_token } = await tokenResponse({ ...user, password_changed_at: changedAt });
      return { status: 'success' as const, message: 'Password successfully changed.', access_token };
    },
  };
}
