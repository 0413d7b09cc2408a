import { randomFillSync } from 'node:crypto';

/*
 * UUIDv7 (RFC 9562 §5.7) with a 42-bit counter in rand_a and the top of rand_b (§6.2, method 1):
 * a new millisecond seeds the counter randomly with its top bit clear, leaving room for at least 2^41
 * more ids in that millisecond; if it still overflows, or the clock steps back, the timestamp is
 * advanced past the last one, so ids from one process are strictly increasing as strings and bytes.
 */

const COUNTER_BITS = 42;
const COUNTER_LIMIT = 2 ** COUNTER_BITS;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const random = new Uint8Array(256);
let randomOffset = random.length;

function takeRandom(count: number): Uint8Array {
  if (randomOffset + count > random.length) {
    randomFillSync(random);
    randomOffset = 0;
  }
  const slice = random.subarray(randomOffset, randomOffset + count);
  randomOffset += count;
  return slice;
}

function randomCounterSeed(): number {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = takeRandom(6);
  // 41 random bits: the counter's top bit stays clear.
  return (a & 0x01) * 2 ** 40 + b * 2 ** 32 + c * 2 ** 24 + d * 2 ** 16 + e * 2 ** 8 + f;
}

let lastMs = -1;
let counter = 0;

function nextTimestampAndCounter(): void {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = randomCounterSeed();
    return;
  }
  counter += 1;
  if (counter >= COUNTER_LIMIT) {
    lastMs += 1;
    counter = randomCounterSeed();
  }
}

/** A lowercase hyphenated UUIDv7; later calls in this process always sort after earlier ones. */
export function uuidv7(): string {
  nextTimestampAndCounter();
  const bytes = new Uint8Array(16);
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  const high = Math.floor(counter / 2 ** 30); // top 12 bits → rand_a
  const low = counter % 2 ** 30; // low 30 bits → the first 30 bits of rand_b
  bytes[6] = 0x70 | (high >>> 8);
  bytes[7] = high & 0xff;
  bytes[8] = 0x80 | (low >>> 24);
  bytes[9] = (low >>> 16) & 0xff;
  bytes[10] = (low >>> 8) & 0xff;
  bytes[11] = low & 0xff;
  bytes.set(takeRandom(4), 12);
  const hex = Array.from(bytes, (byte) => HEX[byte]).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
