import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { STATE_LIFETIME_SECONDS } from './state.ts';
import { ssoService, type CallbackQuery } from './service.ts';

const BIND_COOKIE = 'webmacs_sso_bind';
const COOKIE_PATH = '/api/v1/auth/sso';

const SsoConfig = Type.Object({ enabled: Type.Boolean(), provider_name: Type.String(), authorize_url: Type.String() });
const CallbackParams = Type.Object({ code: Type.Optional(Type.String()), state: Type.Optional(Type.String()), error: Type.Optional(Type.String()) });
const ExchangeBody = Type.Object({ code: Type.String() });
const ExchangeResponse = Type.Object({ access_token: Type.String(), token_type: Type.Literal('bearer') });

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** `/api/v1/auth/sso/*`: public (spec §3.2). */
export function registerSsoRoutes(scope: FastifyInstance, wm: WebmacsContext): void {
  const sso = ssoService(wm);
  const tags = ['sso'];

  scope.get('/api/v1/auth/sso/config', { schema: { tags, response: { 200: SsoConfig } } }, async () => sso.config());

  scope.get('/api/v1/auth/sso/authorize', { schema: { tags } }, async (_request, reply) => {
    const { location, bind } = await sso.authorize();
    if (wm.settings.WEBMACS_OIDC_BIND_STATE_COOKIE) {
      reply.header('set-cookie', `${BIND_COOKIE}=${bind}; HttpOnly; SameSite=Lax; Path=${COOKIE_PATH}; Max-Age=${STATE_LIFETIME_SECONDS}`);
    }
    return reply.code(307).header('location', location).send();
  });

  scope.get('/api/v1/auth/sso/callback', { schema: { tags, querystring: CallbackParams } }, async (request, reply) => {
    const rawQuery = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const location = await sso.callback(request.query as CallbackQuery, rawQuery, cookieValue(request.headers.cookie, BIND_COOKIE));
    return reply.code(307).header('location', location).send();
  });

  scope.post('/api/v1/auth/sso/exchange', { schema: { tags, body: ExchangeBody, response: { 200: ExchangeResponse } } }, async (request) =>
    sso.exchange((request.body as Static<typeof ExchangeBody>).code),
  );
}
