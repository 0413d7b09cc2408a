import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { status, StatusResponse } from '../schemas.ts';
import { User } from '../users/schemas.ts';
import { toUserJson } from '../users/service.ts';
import { createLoginLockout } from './lockout.ts';
import { revocationsRepo } from './repo.ts';
import { LoginBody, LoginResponse, PasswordChangeBody, PasswordChangeResponse } from './schemas.ts';
import { authService } from './service.ts';

/** `/api/v1/auth/login`, `/logout`, `/me`, `/me/password` (spec §3.1). */
export function registerAuthRoutes(scope: FastifyInstance, wm: WebmacsContext): void {
  const { auth, database } = wm;
  const lockout = createLoginLockout({
    maxFailures: wm.settings.WEBMACS_LOGIN_MAX_FAILURES,
    windowSeconds: wm.settings.WEBMACS_LOGIN_LOCKOUT_SECONDS,
    redis: wm.app.redis,
    keyPrefix: `burrow:webmacs:login:${database.schema ?? database.file ?? 'memory'}`,
  });
  const service = authService(wm, lockout, revocationsRepo(wm.db));
  const tags = ['auth'];

  scope.post('/api/v1/auth/login', { schema: { tags, body: LoginBody, response: { 200: LoginResponse } } }, async (request) => {
    const { email, password } = request.body as LoginBody;
    return service.login(email, password);
  });

  scope.post('/api/v1/auth/logout', { preValidation: auth.requireUser, schema: { tags, response: { 200: StatusResponse } } }, async (request) => {
    await service.logout(auth.principal(request));
    return status('Successfully logged out.');
  });

  scope.get('/api/v1/auth/me', { preValidation: auth.requireUser, schema: { tags, response: { 200: User } } }, async (request) =>
    toUserJson(auth.principal(request).user),
  );

  scope.put(
    '/api/v1/auth/me/password',
    { preValidation: auth.requireUser, schema: { tags, body: PasswordChangeBody, response: { 200: PasswordChangeResponse } } },
    async (request) => {
      const body = request.body as PasswordChangeBody;
      return service.changePassword(auth.principal(request).user, body.current_password, body.new_password);
    },
  );
}
