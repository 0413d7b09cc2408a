import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { webmacsApp } from '../../../src/apps/webmacs/index.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../../helpers/server.ts';

export const ADMIN_EMAIL = 'admin@webmacs.io';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export type Role = 'admin' | 'operator' | 'viewer';

export interface WebmacsHarness extends TestServer {
  schemas: Map<string, string>;
  /** fastify.inject with an optional bearer token */
  request(options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  login(email: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  /** creates a user through the API (as admin) and logs them in */
  userWithRole(role: Role, name?: string): Promise<{ token: string; publicId: string; email: string; password: string }>;
}

let counter = 0;

/** A webmacs server on an isolated database with a known admin password, driven through inject(). */
export async function startWebmacs(options: TestServerOptions = {}): Promise<WebmacsHarness> {
  const server = await startTestServer([webmacsApp], {
    ...options,
    env: { WEBMACS_INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD, WEBMACS_ARGON2_MEMORY_KIB: '1024', WEBMACS_ARGON2_TIME_COST: '1', WEBMACS_CONTROLLER: 'false', WEBMACS_AUTO_SEED: 'false', ...options.env },
  });
  const fastify = server.server.fastify;
  let cachedAdminToken: string | undefined;

  const request: WebmacsHarness['request'] = ({ token, headers, ...rest }) =>
    fastify.inject({ ...rest, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  async function login(email: string, password: string): Promise<string> {
    const res = await request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    if (res.statusCode !== 200) throw new Error(`login ${email} failed: ${res.statusCode} ${res.body}`);
    return res.json().access_token as string;
  }

  async function adminToken(): Promise<string> {
    cachedAdminToken ??= await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    return cachedAdminToken;
  }

  return {
    ...server,
    request,
    login,
    adminToken,
    async userWithRole(role, name = `${role}${++counter}`) {
      const email = `${name}@lab.test`;
      const password = `${name}-secret-pw`;
      const res = await request({ method: 'POST', url: '/api/v1/users', token: await adminToken(), payload: { email, username: name, password, role } });
      if (res.statusCode !== 201) throw new Error(`create ${role} failed: ${res.statusCode} ${res.body}`);
      return { token: await login(email, password), publicId: res.json().public_id as string, email, password };
    },
  };
}

export const PUBLIC_ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{24}$`);
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/;
