/**
 * Environment configuration, validated at start. Each variable is declared once with its parser and
 * default; a bad value stops the server with a message naming the variable (ConfigError).
 */

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface Setting<T> {
  /** parse a raw value; throw Error with a short reason when it is bad */
  parse(raw: string): T;
  default: T;
  description: string;
  /** never echo the value in messages or logs */
  secret?: boolean;
}

export type SettingsSpec = Record<string, Setting<unknown>>;
export type Settings<S extends SettingsSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

interface Common<T> {
  default: T;
  description: string;
  secret?: boolean;
}

function setting<T>(opts: Common<T>, parse: (raw: string) => T): Setting<T> {
  return { ...opts, parse };
}

export const env = {
  string<T extends string | undefined = string>(opts: Common<T> & { pattern?: RegExp }): Setting<T> {
    return setting(opts, (raw) => {
      if (opts.pattern && !opts.pattern.test(raw)) throw new Error(`must match ${opts.pattern}`);
      return raw as T;
    });
  },
  int<T extends number | undefined = number>(opts: Common<T> & { min?: number; max?: number }): Setting<T> {
    return setting(opts, (raw) => {
      const trimmed = raw.trim();
      if (!/^-?\d+$/.test(trimmed)) throw new Error(`must be an integer, got ${JSON.stringify(raw)}`);
      return checkRange(Number(trimmed), opts.min, opts.max) as T;
    });
  },
  number<T extends number | undefined = number>(opts: Common<T> & { min?: number; max?: number }): Setting<T> {
    return setting(opts, (raw) => {
      const value = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`must be a number, got ${JSON.stringify(raw)}`);
      return checkRange(value, opts.min, opts.max) as T;
    });
  },
  bool(opts: Common<boolean>): Setting<boolean> {
    return setting(opts, (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new Error(`must be true or false, got ${JSON.stringify(raw)}`);
    });
  },
  oneOf<const V extends string>(values: readonly V[], opts: Common<V>): Setting<V> {
    return setting(opts, (raw) => {
      const v = raw.trim() as V;
      if (!values.includes(v)) throw new Error(`must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
      return v;
    });
  },
  list(opts: Common<string[]> & { allowed?: readonly string[] }): Setting<string[]> {
    return setting(opts, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (opts.allowed) {
        const unknown = items.filter((i) => !opts.allowed!.includes(i));
        if (unknown.length) throw new Error(`unknown value(s) ${unknown.join(', ')}; allowed: ${opts.allowed.join(', ')}`);
      }
      return items;
    });
  },
  url<T extends string | undefined = string>(opts: Common<T> & { protocols: readonly string[] }): Setting<T> {
    return setting(opts, (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        throw new Error('must be a URL');
      }
      if (!opts.protocols.includes(parsed.protocol.replace(/:$/, ''))) {
        throw new Error(`must use ${opts.protocols.join(' or ')}`);
      }
      return raw as T;
    });
  },
};

function checkRange(value: number, min?: number, max?: number): number {
  if (min !== undefined && value < min) throw new Error(`must be at least ${min}, got ${value}`);
  if (max !== undefined && value > max) throw new Error(`must be at most ${max}, got ${value}`);
  return value;
}

/**
 * Reads every declared variable. Unset or empty variables take the default (or the override given,
 * which is how `--demo` changes defaults without beating explicit settings).
 */
export function readSettings<S extends SettingsSpec>(
  spec: S,
  source: NodeJS.ProcessEnv = process.env,
  defaultOverrides: Partial<Settings<S>> = {},
): Settings<S> {
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(spec)) {
    const raw = source[name];
    if (raw === undefined || raw === '') {
      out[name] = name in defaultOverrides ? (defaultOverrides as Record<string, unknown>)[name] : decl.default;
      continue;
    }
    try {
      out[name] = decl.parse(raw);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ConfigError(name, decl.secret ? reason.replace(raw, '***') : reason);
    }
  }
  return out as Settings<S>;
}

export const platformSettings = {
  BURROW_APPS: env.list({ default: [], description: 'Comma-separated app ids to enable (default: all)' }),
  BURROW_HOST: env.string({ default: '127.0.0.1', description: 'Address to bind' }),
  BURROW_PORT: env.int({ default: 8000, min: 0, max: 65535, description: 'TCP port (0 picks a free one)' }),
  BURROW_DATA_DIR: env.string({ default: './data', description: 'Directory for SQLite databases and app files' }),
  BURROW_LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
    default: 'info',
    description: 'pino log level',
  }),
  BURROW_BODY_LIMIT: env.int({
    default: 1_048_576,
    min: 1024,
    description: 'Default request body limit in bytes (apps may set their own)',
  }),
  BURROW_TRUST_PROXY: env.bool({ default: false, description: 'Trust X-Forwarded-* headers from a reverse proxy' }),
  BURROW_SHUTDOWN_TIMEOUT_MS: env.int({
    default: 10_000,
    min: 0,
    description: 'How long graceful shutdown waits for in-flight requests and jobs',
  }),
  BURROW_JOB_LEASE_MS: env.int({
    default: 30_000,
    min: 300,
    max: 3_600_000,
    description: 'How long a job claim holds without renewal (renewed every third of it); jobs of a crashed process are recovered after this',
  }),
  BURROW_SQLITE_READERS: env.int<number | undefined>({
    default: undefined,
    min: 0,
    max: 64,
    description: 'Threads answering costly SQLite reads beside the main connection (default: one per core, at most 4, none on one core; 0: none)',
  }),
  DATABASE_URL: env.url<string | undefined>({
    default: undefined,
    protocols: ['postgres', 'postgresql'],
    secret: true,
    description: 'Postgres connection URL; unset means SQLite files in BURROW_DATA_DIR',
  }),
  BURROW_REDIS_PREFIX: env.string({
    default: 'burrow',
    pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
    description: 'Namespace of Redis keys and channels; instances that share state use the same one',
  }),
  REDIS_URL: env.url<string | undefined>({
    default: undefined,
    protocols: ['redis', 'rediss'],
    secret: true,
    description: 'Redis URL for shared events, rate limits, caches and leader locks',
  }),
};

export type PlatformConfig = Settings<typeof platformSettings>;
