/** Lets a key through at most once per interval (per process): broadcast and sensor.reading throttles. */
export class KeyedThrottle<K> {
  private readonly lastPassed = new Map<K, number>();

  constructor(private readonly intervalMs: number) {}

  tryPass(key: K, nowMs: number): boolean {
    const last = this.lastPassed.get(key);
    if (last !== undefined && nowMs - last < this.intervalMs) return false;
    this.lastPassed.set(key, nowMs);
    return true;
  }

  forget(key: K): void {
    this.lastPassed.delete(key);
  }
}
