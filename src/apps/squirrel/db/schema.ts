/** Squirrel's tables as Kysely sees them (spec §7). Times are epoch milliseconds; JSON columns are text. */

export interface PvTable {
  id: string;
  setpoint_address: string | null;
  readback_address: string | null;
  config_address: string | null;
  device: string | null;
  description: string | null;
  abs_tolerance: number;
  rel_tolerance: number;
  read_only: boolean | number;
  /** lowercased concatenation of the five searchable fields */
  search_text: string;
  created_by: string | null;
  last_modified_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface TagGroupTable {
  id: string;
  name: string;
  /** lowercased name: group names are unique case-insensitively */
  name_key: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface TagTable {
  id: string;
  group_id: string;
  name: string;
  name_key: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface PvTagTable {
  pv_id: string;
  tag_id: string;
}

export interface SnapshotTable {
  id: string;
  title: string;
  title_key: string;
  description: string | null;
  created_by: string | null;
  pv_count: number;
  source: string;
  created_at: number;
  updated_at: number;
}

export interface SnapshotValueTable {
  snapshot_id: string;
  /** the row's own key, in capture order (values have no public id); a PV deleted later has no pv row */
  seq: number;
  pv_id: string | null;
  pv_name: string;
  setpoint_name: string | null;
  readback_name: string | null;
  /** the side as a JSON array (snapshots/storedSide.ts), or null when that side has no address */
  setpoint_value: string | null;
  readback_value: string | null;
  status: number | null;
  severity: number | null;
  timestamp: string | null;
  read_only: boolean | number;
  abs_tolerance: number;
  rel_tolerance: number;
  /** JSON of the PV's tags at capture time (`[{id,name,group_name}]`), or null when it had none */
  tags: string | null;
}

export interface ApiKeyTable {
  id: string;
  app_name: string;
  token_hash: string;
  is_active: boolean | number;
  read_access: boolean | number;
  write_access: boolean | number;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SquirrelDb {
  pv: PvTable;
  tag_group: TagGroupTable;
  tag: TagTable;
  pv_tag: PvTagTable;
  snapshot: SnapshotTable;
  snapshot_value: SnapshotValueTable;
  api_key: ApiKeyTable;
}
