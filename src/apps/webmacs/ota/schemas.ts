import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../schemas.ts';

export const FIRMWARE_STATUSES = ['pending', 'downloading', 'verifying', 'applying', 'completed', 'failed', 'rolled_back'] as const;
export type FirmwareStatus = (typeof FIRMWARE_STATUSES)[number];

export const Firmware = Type.Object({
  public_id: Type.String(),
  version: Type.String(),
  changelog: Nullable(Type.String()),
  file_hash_sha256: Nullable(Type.String()),
  file_size_bytes: Nullable(Type.Integer()),
  has_firmware_file: Type.Boolean(),
  status: Type.String(),
  error_message: Nullable(Type.String()),
  created_on: Type.String(),
  started_on: Nullable(Type.String()),
  completed_on: Nullable(Type.String()),
  user_public_id: Type.String(),
});

/** Strict X.Y.Z without leading zeros (spec §3.12). */
export const SEMVER_PATTERN = '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$';

export const FirmwareCreateBody = Type.Object({
  version: Type.String({ pattern: SEMVER_PATTERN, maxLength: 50 }),
  changelog: Type.Optional(Nullable(Type.String())),
});
export type FirmwareCreateBody = Static<typeof FirmwareCreateBody>;

export const ApplyBody = Type.Object({
  download_url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048 })),
  file_hash_sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
});
export type ApplyBody = Static<typeof ApplyBody>;
