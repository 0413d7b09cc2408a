import { AppError } from '../../core/http/index.ts';

/*
 * Every error webmacs answers with, created here and nowhere else (spec §2.3, §2.4, §3). The envelope
 * renders them as `{"detail": <message>}`; `value_error` carries a Pydantic-style list instead.
 */

export type Entity =
  | 'User'
  | 'Event'
  | 'Experiment'
  | 'Datapoint'
  | 'LogEntry'
  | 'Webhook'
  | 'Delivery'
  | 'Rule'
  | 'FirmwareUpdate'
  | 'Dashboard'
  | 'DashboardWidget'
  | 'Plugin instance'
  | 'Channel mapping'
  | 'Plugin package';

const BEARER = { 'WWW-Authenticate': 'Bearer' };

function unauthorized(code: string, message: string): AppError {
  return new AppError(401, code, message, { headers: BEARER });
}

/** One item of the FastAPI/Pydantic validation list (spec §2.3). */
export interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** A 422 in the validation-list shape for checks a schema cannot express (cross-field, parsed values). */
export function valueError(loc: (string | number)[], reason: string, input: unknown): AppError {
  const detail: ValidationDetail[] = [{ type: 'value_error', loc, msg: `Value error, ${reason}`, input, ctx: { error: reason } }];
  return new AppError(422, 'value_error', `Value error, ${reason}`, { extras: { detail } });
}

/** A datetime field that does not parse (Pydantic `datetime_parsing`). */
export function invalidDatetime(loc: (string | number)[], input: unknown): AppError {
  const detail: ValidationDetail[] = [{ type: 'datetime_parsing', loc, msg: 'Input should be a valid datetime', input }];
  return new AppError(422, 'datetime_parsing', 'Input should be a valid datetime', { extras: { detail } });
}

/** Required values absent where a schema cannot say so (e.g. SSO callback params that an IdP error replaces). */
export function missingFields(locs: (string | number)[][], input: unknown): AppError {
  const detail: ValidationDetail[] = locs.map((loc) => ({ type: 'missing', loc, msg: 'Field required', input }));
  return new AppError(422, 'missing', 'Field required', { extras: { detail } });
}

export const errors = {
  // §2.3: generic
  notFound: (entity: Entity, id: string) => new AppError(404, 'not_found', `${entity} '${id}' not found.`),
  conflict: (entity: Entity) => new AppError(409, 'conflict', `${entity} already exists.`),
  adminRequired: () => new AppError(403, 'admin_required', 'Admin privileges required.'),
  operatorRequired: () => new AppError(403, 'operator_required', 'Operator privileges required.'),
  storageFull: () => new AppError(503, 'storage_full', 'Storage full.'),
  methodNotAllowed: (allow: readonly string[]) =>
    new AppError(405, 'method_not_allowed', 'Method Not Allowed', { headers: { Allow: allow.join(', ') } }),

  // §2.7 CORS (Starlette's preflight refusal text)
  corsOriginDisallowed: () => new AppError(400, 'cors_origin_disallowed', 'Disallowed CORS origin'),

  // §2.4: authentication, in the order they are checked
  authenticationRequired: () => unauthorized('authentication_required', 'Authentication required.'),
  invalidOrExpiredToken: () => unauthorized('invalid_token', 'Invalid or expired token.'),
  tokenRevoked: () => unauthorized('token_revoked', 'Token has been revoked.'),
  userNotFound: () => unauthorized('user_not_found', 'User not found.'),
  invalidApiToken: () => unauthorized('invalid_api_token', 'Invalid API token.'),
  apiTokenExpired: () => unauthorized('api_token_expired', 'API token has expired.'),
  tokenOwnerNotFound: () => unauthorized('token_owner_not_found', 'Token owner not found.'),

  // §3.1 auth
  invalidCredentials: () => unauthorized('invalid_credentials', 'Invalid email or password.'),
  loginLocked: (retryAfterSeconds: number) =>
    new AppError(429, 'login_locked', 'Too many failed login attempts. Try again later.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  currentPasswordIncorrect: () => new AppError(400, 'current_password_incorrect', 'Current password is incorrect.'),

  // §3.2 SSO
  ssoNotEnabled: () => new AppError(404, 'sso_disabled', 'SSO is not enabled.'),
  ssoMisconfigured: () =>
    new AppError(503, 'sso_misconfigured', 'SSO is enabled but WEBMACS_OIDC_ISSUER_URL or WEBMACS_OIDC_CLIENT_ID is missing.'),
  ssoDiscoveryFailed: () => new AppError(502, 'sso_discovery_failed', 'Failed to load identity provider configuration.'),
  ssoProviderError: (error: string) => new AppError(400, 'sso_provider_error', `Identity provider returned an error: ${error}.`),
  ssoInvalidState: () => new AppError(400, 'sso_invalid_state', 'Invalid or expired SSO state.'),
  ssoExchangeFailed: () => new AppError(502, 'sso_exchange_failed', 'Failed to exchange authorization code with identity provider.'),
  ssoNoUserinfoEndpoint: () => new AppError(502, 'sso_no_userinfo', 'Identity provider does not expose a userinfo endpoint.'),
  ssoUserinfoFailed: () => new AppError(502, 'sso_userinfo_failed', 'Failed to fetch user information from identity provider.'),
  ssoNoEmail: () => new AppError(400, 'sso_no_email', 'Identity provider did not return an email address.'),
  ssoNoSubject: () => new AppError(400, 'sso_no_subject', 'Identity provider did not return a subject identifier.'),
  ssoLinkUnverified: () =>
    new AppError(403, 'sso_link_unverified', 'Cannot link SSO account: the identity provider has not verified this email address.'),
  ssoLinkAdmin: () => new AppError(403, 'sso_link_admin', 'Cannot automatically link an admin account to SSO.'),
  ssoAutoCreateDisabled: () =>
    new AppError(403, 'sso_auto_create_disabled', 'No local account found and automatic user creation is disabled.'),
  ssoCreateUnverified: () =>
    new AppError(403, 'sso_create_unverified', 'Cannot create account: the identity provider has not verified this email address.'),
  ssoInvalidCode: () => new AppError(400, 'sso_invalid_code', 'Invalid or expired SSO authorization code.'),

  // §3.3 tokens
  apiTokenNotFound: () => new AppError(404, 'api_token_not_found', 'API token not found.'),
  cannotDeleteOthersToken: () => new AppError(403, 'token_not_owned', "Cannot delete another user's token."),

  // §3.4 users
  cannotDeleteSelf: () => new AppError(400, 'cannot_delete_self', 'You cannot delete your own account.'),
  lastAdmin: () => new AppError(409, 'last_admin', 'Cannot remove the last admin.'),

  // §3.7 datapoints
  eventNotFound: () => new AppError(404, 'event_not_found', 'Event not found.'),
  eventNotLinked: () => new AppError(409, 'event_not_linked', 'Event is not linked to an enabled plugin instance.'),
  idempotencyKeyReused: () =>
    valueError(['header', 'Idempotency-Key'], 'Idempotency-Key reused with a different request body.', null),

  // §3.9 dashboards
  notAllowed: () => new AppError(403, 'not_allowed', 'Not allowed.'),
  widgetNotOnDashboard: () => new AppError(404, 'widget_not_on_dashboard', 'Widget not on this dashboard.'),

  // §3.10 webhooks
  webhookDisabled: () => new AppError(409, 'webhook_disabled', 'Webhook is disabled.'),

  // §3.12 OTA
  invalidTransition: (from: string, to: string) => new AppError(409, 'invalid_transition', `Cannot transition from '${from}' to '${to}'`),
  firmwareInProgress: () => new AppError(409, 'firmware_in_progress', 'Cannot delete a firmware update while it is in progress.'),
  firmwareFailed: (message: string) => new AppError(400, 'firmware_failed', message),
  bundleNotTarGz: () => new AppError(400, 'bundle_not_tar_gz', 'File must be a .tar.gz update bundle.'),
  bundleNotGzip: () => new AppError(400, 'bundle_not_gzip', 'File is not a gzip archive.'),
  invalidFileName: () => new AppError(400, 'invalid_file_name', 'Invalid file name.'),
  bundleExists: (name: string) => new AppError(409, 'bundle_exists', `Bundle '${name}' already exists.`),
  bundleTooLarge: () => new AppError(413, 'bundle_too_large', 'Bundle exceeds maximum allowed size (500 MB).'),

  // §3.13 plugins
  pluginInstanceNotFound: () => new AppError(404, 'plugin_instance_not_found', 'Plugin instance not found.'),
  wheelRequired: () => new AppError(400, 'wheel_required', 'File must be a .whl (Python wheel) package.'),
  wheelTooLarge: () => new AppError(413, 'wheel_too_large', 'Wheel exceeds maximum size (50 MB).'),
  packageFileExists: (file: string) => new AppError(409, 'package_file_exists', `Package '${file}' already exists.`),
  packageInstalled: (name: string) =>
    new AppError(409, 'package_installed', `Plugin package '${name}' is already installed. Remove it first to upload a new version.`),
  wheelInvalid: (reason: string) => new AppError(422, 'wheel_invalid', `Not a valid ZIP/wheel archive: ${reason}`),
  wheelNoMetadata: () => new AppError(422, 'wheel_no_metadata', 'No .dist-info/METADATA found in wheel.'),
  wheelNoEntryPoint: (name: string) =>
    new AppError(
      422,
      'wheel_no_entry_point',
      `Wheel '${name}' does not declare a [webmacs.plugins] entry point. It is not a valid WebMACS plugin package.`,
    ),
  wheelMetadataIncomplete: () => new AppError(422, 'wheel_metadata_incomplete', 'Wheel metadata is missing Name or Version.'),
  bundledPluginNotRemovable: () => new AppError(400, 'bundled_plugin', 'Bundled plugins cannot be removed.'),
};
