import * as oidc from 'openid-client';
import { errors } from '../errors.ts';
import type { WebmacsSettings } from '../settings.ts';

/**
 * The identity provider's configuration from `<issuer>/.well-known/openid-configuration`, cached for
 * WEBMACS_OIDC_DISCOVERY_TTL_S. A failed discovery is not cached, so the next request retries.
 */
export function providerDiscovery(settings: WebmacsSettings) {
  let cached: { config: oidc.Configuration; at: number } | undefined;
  return async function configuration(): Promise<oidc.Configuration> {
    const issuer = settings.WEBMACS_OIDC_ISSUER_URL;
    const clientId = settings.WEBMACS_OIDC_CLIENT_ID;
    if (!issuer || !clientId) throw errors.ssoMisconfigured();
    if (cached && Date.now() - cached.at < settings.WEBMACS_OIDC_DISCOVERY_TTL_S * 1000) return cached.config;
    try {
      const config = await oidc.discovery(
        new URL(issuer),
        clientId,
        undefined,
        oidc.ClientSecretBasic(settings.WEBMACS_OIDC_CLIENT_SECRET),
        settings.WEBMACS_OIDC_ALLOW_INSECURE ? { execute: [oidc.allowInsecureRequests] } : undefined,
      );
      cached = { config, at: Date.now() };
      return config;
    } catch {
      throw errors.ssoDiscoveryFailed();
    }
  };
}
