import type { Generated } from 'kysely';

/*
 * The webmacs tables (spec §7) as Kysely sees them. Times are integer microseconds (UTC); booleans read
 * back as 0/1 on SQLite and true/false on Postgres (read them with Boolean()); JSON lists are text.
 */

export type Role = 'admin' | 'operator' | 'viewer';
type Flag = boolean | number;

export interface UsersTable {
  id: Generated<number>;
  public_id: string;
  email: string;
  username: string;
  password_hash: string;
  role: Role;
  registered_on: number;
  password_changed_at: number | null;
  sso_provider: string | null;
  sso_subject_id: string | null;
}

export interface RevokedTokensTable {
  jti: string;
  user_id: number;
  expires_at: number;
}

export interface ApiTokensTable {
  id: Generated<number>;
  public_id: string;
  user_id: number;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

export interface SsoCodesTable {
  code_hash: string;
  user_id: number;
  expires_at: number;
  used_at: number | null;
}

export interface EventsTable {
  id: Generated<number>;
  public_id: string;
  name: string;
  min_value: number;
  max_value: number;
  unit: string;
  type: string;
  user_id: number;
  created_on: number;
}

export interface ExperimentsTable {
  id: Generated<number>;
  public_id: string;
  name: string;
  started_on: number;
  stopped_on: number | null;
  user_id: number;
}

export interface DatapointsTable {
  id: Generated<number>;
  event_id: number;
  ts: number;
  value: number;
  experiment_id: number | null;
}

export interface IdempotencyKeysTable {
  user_id: number;
  key: string;
  request_sha256: string;
  status_code: number;
  body: string;
  created_at: number;
}

export interface LogEntriesTable {
  id: Generated<number>;
  public_id: string;
  content: string;
  logging_type: 'error' | 'warning' | 'info';
  status_type: 'read' | 'unread';
  created_on: number;
  user_id: number;
}

export interface WebhooksTable {
  id: Generated<number>;
  public_id: string;
  url: string;
  secret: string | null;
  events: string;
  enabled: Flag;
  created_on: number;
  user_id: number;
}

export interface RulesTable {
  id: Generated<number>;
  public_id: string;
  name: string;
  event_id: number;
  operator: string;
  threshold: number;
  threshold_high: number | null;
  action_type: 'webhook' | 'log';
  webhook_event_type: string | null;
  enabled: Flag;
  cooldown_seconds: number;
  last_triggered_at: number | null;
  created_on: number;
  user_id: number;
}

export interface FirmwareUpdatesTable {
  id: Generated<number>;
  public_id: string;
  version: string;
  changelog: string | null;
  file_path: string | null;
  file_hash_sha256: string | null;
  file_size_bytes: number | null;
  status: string;
  error_message: string | null;
  created_on: number;
  started_on: number | null;
  completed_on: number | null;
  user_id: number;
}

export interface DashboardsTable {
  id: Generated<number>;
  public_id: string;
  name: string;
  is_global: Flag;
  created_on: number;
  user_id: number;
}

export interface DashboardWidgetsTable {
  id: Generated<number>;
  public_id: string;
  dashboard_id: number;
  widget_type: string;
  title: string;
  event_id: number | null;
  x: number;
  y: number;
  w: number;
  h: number;
  config_json: string | null;
}

export interface PluginInstancesTable {
  id: Generated<number>;
  public_id: string;
  plugin_id: string;
  instance_name: string;
  demo_mode: Flag;
  enabled: Flag;
  status: string;
  config_json: string | null;
  error_message: string | null;
  created_on: number;
  updated_on: number;
  user_id: number;
}

export interface ChannelMappingsTable {
  id: Generated<number>;
  public_id: string;
  plugin_instance_id: number;
  channel_id: string;
  channel_name: string;
  direction: 'input' | 'output' | 'bidirectional';
  unit: string;
  event_id: number | null;
  created_on: number;
}

export interface PluginPackagesTable {
  id: Generated<number>;
  public_id: string;
  package_name: string;
  version: string;
  source: 'bundled' | 'uploaded';
  plugin_ids: string;
  file_path: string | null;
  file_hash_sha256: string | null;
  file_size_bytes: number | null;
  installed_on: number;
  user_id: number | null;
}

export interface AppStateTable {
  key: string;
  value: string;
}

export interface WebmacsDatabase {
  users: UsersTable;
  revoked_tokens: RevokedTokensTable;
  api_tokens: ApiTokensTable;
  sso_codes: SsoCodesTable;
  events: EventsTable;
  experiments: ExperimentsTable;
  datapoints: DatapointsTable;
  idempotency_keys: IdempotencyKeysTable;
  log_entries: LogEntriesTable;
  webhooks: WebhooksTable;
  rules: RulesTable;
  firmware_updates: FirmwareUpdatesTable;
  dashboards: DashboardsTable;
  dashboard_widgets: DashboardWidgetsTable;
  plugin_instances: PluginInstancesTable;
  channel_mappings: ChannelMappingsTable;
  plugin_packages: PluginPackagesTable;
  app_state: AppStateTable;
}
