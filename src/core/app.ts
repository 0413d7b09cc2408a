import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Migration } from 'kysely';
import type { PlatformConfig, SettingsSpec, Settings } from './config.ts';
import type { AppDatabase } from './db/index.ts';
import type { EventBus } from './events/types.ts';
import type { ErrorEnvelope } from './http/problem.ts';
import type { JobEngine } from './jobs/index.ts';
import type { LeaderElection } from './leader/types.ts';
import type { Outbound, OutboundOptions, SsrfGuardOptions } from './outbound/index.ts';
import type { RateLimitStore } from './ratelimit/index.ts';
import type { CliRegistry } from '../cli/registry.ts';

/**
 * Everything the platform gives one app: its own database, job engine, bus view, logger and settings.
 * Created by the server per enabled app; an app never sees another app's context.
 */
export interface AppContext<S extends SettingsSpec = SettingsSpec> {
  readonly appId: string;
  readonly settings: Settings<S>;
  readonly platform: PlatformConfig;
  /** true when started with --demo: the app should start its demo data sources */
  readonly demo: boolean;
  readonly logger: Logger;
  readonly database: AppDatabase;
  readonly jobs: JobEngine;
  readonly bus: EventBus;
  readonly outbound: Outbound;
  readonly rateLimitStore: RateLimitStore;
  /** a shared ioredis connection when REDIS_URL is set */
  readonly redis?: Redis;
  /** the Prometheus registry behind `/metrics`: an app registers its own `<app>_*` metrics here */
  readonly metrics: Registry;
  /** prefix for every Redis key or channel the app names itself: `<BURROW_REDIS_PREFIX>:<app id>` */
  readonly redisPrefix: string;
  /** directory for the app's files (uploads, packages), inside BURROW_DATA_DIR */
  readonly filesDir: string;
  /** a leader election among the instances sharing Redis; `timing` overrides the lease ttl and renewal period */
  leader(key: string, timing?: { ttlMs?: number; renewEveryMs?: number }): LeaderElection;
  /** prints a line for the operator on first start (credentials); never goes to the log file */
  announce(message: string): void;
  /** registers work to run when the server stops, in reverse order of registration */
  onClose(fn: () => Promise<void> | void): void;
  /**
   * registers what to add to the core's replies for the app's URLs that no route of the app handled
   * (404, 405, requests refused before routing): the app's scope hooks never run for those
   */
  onUnrouted(fn: (request: FastifyRequest, reply: FastifyReply) => void): void;
}

export interface BurrowApp<S extends SettingsSpec = SettingsSpec> {
  /** app id: `squirrel`, `webmacs`…; names its database, schema, env prefix and OpenAPI document */
  readonly id: string;
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /**
   * URL prefixes this app owns. An unknown path or wrong method under one of them gets this app's
   * envelope. The longest matching prefix wins, so `/v1/pvs` (squirrel) beats `/v1` (squirrelscan).
   */
  readonly prefixes: readonly string[];
  readonly envelope: ErrorEnvelope;
  /** 'generate' never trusts a client's X-Request-Id (webmacs); default 'accept' keeps a sane one */
  readonly requestIds?: 'accept' | 'generate';
  /** the app's environment variables (`<APP>_*`) */
  readonly settings: S;
  /** defaults that `--demo` substitutes for unset variables */
  readonly demoDefaults?: Partial<Settings<S>>;
  readonly migrations: Record<string, Migration>;
  /**
   * how this app's outbound deliveries behave: which destinations the SSRF guard lets through (loopback
   * and private networks are blocked unless allowed), the retry timing and the status policy;
   * link-local and metadata addresses are always blocked
   */
  outbound?(settings: Settings<S>): SsrfGuardOptions & Pick<OutboundOptions, 'retryDelaysMs' | 'maxAttempts' | 'timeoutMs' | 'concurrency' | 'policy'>;
  /** largest accepted body for this app's routes, in bytes (platform default otherwise) */
  bodyLimit?(settings: Settings<S>): number;
  /** mounts routes on the app's encapsulated Fastify scope and defines its job handlers */
  register(scope: FastifyInstance, ctx: AppContext<S>): Promise<void>;
  /** starts background work after the server listens (monitors, pollers, demo sources) */
  start?(ctx: AppContext<S>): Promise<void>;
  /** adds `burrow <app> …` sub-commands */
  cli?(registry: CliRegistry): void;
}

export function defineApp<S extends SettingsSpec>(app: BurrowApp<S>): BurrowApp<S> {
  return app;
}
