import { hash, verify, type Algorithm } from '@node-rs/argon2';

// `Algorithm` is an ambient const enum, which isolatedModules cannot read; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

export interface PasswordCost {
  /** KiB of memory per hash */
  memoryCost: number;
  /** passes */
  timeCost: number;
  /** lanes */
  parallelism: number;
}

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
export const DEFAULT_PASSWORD_COST: PasswordCost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) carrying its own salt and parameters, so a later
 * change of cost still verifies older hashes.
 */
export function hashPassword(password: string, cost: Partial<PasswordCost> = {}): Promise<string> {
  return hash(password, { algorithm: ARGON2ID, ...DEFAULT_PASSWORD_COST, ...cost });
}

/** false for a wrong password and for a stored hash that is malformed or not argon2 at all. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
