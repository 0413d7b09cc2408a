import { hash, type Algorithm } from '@node-rs/argon2';

// `Algorithm` is an ambient const enum, which isolatedModules cannot read; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

/**
 * argon2id with the cost of WEBMACS_ARGON2_MEMORY_KIB / _TIME_COST (spec §2.4, §6). The core's
 * hashPassword has fixed costs; the resulting PHC strings carry their parameters, so the core's
 * verifyPassword checks them unchanged.
 */
export function passwordHasher(memoryKib: number, timeCost: number): (password: string) => Promise<string> {
  return (password) => hash(password, { algorithm: ARGON2ID, memoryCost: memoryKib, timeCost, parallelism: 1 });
}
