import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { hashToken } from '../../../core/secrets/index.ts';
import type { WebmacsContext } from '../context.ts';
import { errors, missingFields } from '../errors.ts';
import { newPublicId } from '../ids.ts';
import { nowMicros } from '../time.ts';
import { providerDiscovery } from './provider.ts';
import { ssoCodesRepo } from './repo.ts';
import { resolveUser, type Identity } from './identity.ts';
import { openState, randomUrlSafe, sealState, stateKey } from './state.ts';

const CODE_LIFETIME_US = 60_000_000;

export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
}

function redirectUriOf(wm: WebmacsContext): string {
  if (wm.settings.WEBMACS_OIDC_REDIRECT_URI) return wm.settings.WEBMACS_OIDC_REDIRECT_URI;
  const bound: string = wm.app.platform.BURROW_HOST;
  const host = bound === '0.0.0.0' ? 'localhost' : bound;
  return `http://${host}:${wm.app.platform.BURROW_PORT}/api/v1/auth/sso/callback`;
}

function frontendUrlOf(wm: WebmacsContext): string {
  return (wm.settings.WEBMACS_OIDC_FRONTEND_URL ?? wm.settings.WEBMACS_CORS_ORIGINS[0] ?? 'http://localhost:5173').replace(/\/+$/, '');
}

/** OIDC authorization code flow with PKCE, state and nonce (spec §3.2, D29). */
export function ssoService(wm: WebmacsContext) {
  const { settings } = wm;
  const configuration = providerDiscovery(settings);
  const key = stateKey(wm.secretKey);
  const codes = ssoCodesRepo(wm.db);
  const provider = settings.WEBMACS_OIDC_PROVIDER_NAME;

  const requireEnabled = () => {
    if (!settings.WEBMACS_OIDC_ENABLED) throw errors.ssoNotEnabled();
  };

  async function identityFrom(config: oidc.Configuration, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): Promise<Identity> {
    if (!config.serverMetadata().userinfo_endpoint) throw errors.ssoNoUserinfoEndpoint();
    const expectedSubject = tokens.claims()?.sub;
    let info: oidc.UserInfoResponse;
    try {
      info = await oidc.fetchUserInfo(config, tokens.access_token, expectedSubject ?? oidc.skipSubjectCheck);
    } catch {
      throw errors.ssoUserinfoFailed();
    }
    if (typeof info.email !== 'string' || !info.email) throw errors.ssoNoEmail();
    if (typeof info.sub !== 'string' || !info.sub) throw errors.ssoNoSubject();
    return {
      subject: info.sub,
      email: info.email,
      emailVerified: info.email_verified === true,
      preferredUsername: typeof info.preferred_username === 'string' ? info.preferred_username : undefined,
      name: typeof info.name === 'string' ? info.name : undefined,
    };
  }

  return {
    config() {
      return settings.WEBMACS_OIDC_ENABLED
        ? { enabled: true, provider_name: provider, authorize_url: '/api/v1/auth/sso/authorize' }
        : { enabled: false, provider_name: '', authorize_url: '' };
    },

    /** The IdP URL to send the browser to and the binding value for the cookie. */
    async authorize(): Promise<{ location: string; bind: string }> {
      requireEnabled();
      const config = await configuration();
      const verifier = randomUrlSafe(48);
      const nonce = randomUrlSafe(24);
      const bind = randomUrlSafe(24);
      const url = oidc.buildAuthorizationUrl(config, {
        response_type: 'code',
        redirect_uri: redirectUriOf(wm),
        scope: settings.WEBMACS_OIDC_SCOPES,
        state: await sealState({ cv: verifier, nonce, bind }, key),
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      return { location: url.href, bind };
    },

    /** Completes the login and returns where to send the browser: `<frontend>/sso-callback?code=<one-time code>`. */
    async callback(query: CallbackQuery, rawQuery: string, bindCookie: string | undefined): Promise<string> {
      requireEnabled();
      if (query.error) throw errors.ssoProviderError(query.error);
      const missing = (['code', 'state'] as const).filter((name) => !query[name]).map((name) => ['query', name]);
      if (missing.length) throw missingFields(missing, null);
      const state = await openState(query.state!, key);
      if (!state || (settings.WEBMACS_OIDC_BIND_STATE_COOKIE && bindCookie !== state.bind)) throw errors.ssoInvalidState();
      const config = await configuration();
      const currentUrl = new URL(redirectUriOf(wm));
      currentUrl.search = rawQuery;
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: state.cv,
          expectedState: query.state!,
          expectedNonce: state.nonce,
          idTokenExpected: false,
        });
      } catch {
        throw errors.ssoExchangeFailed();
      }
      const identity = await identityFrom(config, tokens);
      const user = await resolveUser(identity, {
        provider,
        autoCreate: settings.WEBMACS_OIDC_AUTO_CREATE_USERS,
        defaultRole: settings.WEBMACS_OIDC_DEFAULT_ROLE,
        users: wm.users,
        createUser: async (id, username) =>
          wm.users.insert({
            public_id: newPublicId('usr'),
            email: id.email,
            username,
            // Never usable: SSO users sign in through their provider.
            password_hash: await wm.hashPassword(randomBytes(32).toString('base64url')),
            role: settings.WEBMACS_OIDC_DEFAULT_ROLE,
            registered_on: nowMicros(),
            password_changed_at: null,
            sso_provider: provider,
            sso_subject_id: id.subject,
          }),
      });
      const code = randomUrlSafe(48);
      await codes.insert(hashToken(code), user.id, nowMicros() + CODE_LIFETIME_US);
      await wm.log.write(user.id, `User '${user.username}' logged in via SSO (${provider}).`);
      return `${frontendUrlOf(wm)}/sso-callback?code=${encodeURIComponent(code)}`;
    },

    /** Redeems a one-time code once, within 60 s, even if SSO was disabled in the meantime (spec §3.2). */
    async exchange(code: string) {
      const userId = await codes.consume(hashToken(code), nowMicros());
      const user = userId === undefined ? undefined : await wm.users.findById(userId);
      if (!user) throw errors.ssoInvalidCode();
      const { token } = await wm.auth.issueAccessToken(user);
      return { access_token: token, token_type: 'bearer' as const };
    },
  };
}
