export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface CircuitView {
  state: CircuitState;
  failures: number;
  success_count: number;
  call_count: number;
  last_failure: string | null;
  opened_at: string | null;
  forced: boolean;
}

export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
}

/** One breaker per IOC prefix, protocol stripped: `A:B:C…` → `A:B`, `A:B` → `A`, else `default` (spec §4.3). */
export function breakerKey(address: string): string {
  const name = address.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const parts = name.split(':');
  if (parts.length >= 3) return `${parts[0]}:${parts[1]}`;
  if (parts.length === 2) return parts[0]!;
  return 'default';
}

class Circuit {
  state: CircuitState = 'CLOSED';
  failures = 0;
  successCount = 0;
  callCount = 0;
  lastFailure: number | null = null;
  openedAt: number | null = null;
  forced = false;
  /** a HALF_OPEN circuit lets exactly one trial call through */
  trialInFlight = false;

  constructor(private readonly resetTimeoutMs: number) {}

  /** an unforced OPEN circuit half-opens once the reset timeout has passed */
  current(now = Date.now()): CircuitState {
    if (this.state === 'OPEN' && !this.forced && this.openedAt !== null && now - this.openedAt >= this.resetTimeoutMs) this.state = 'HALF_OPEN';
    return this.state;
  }

  view(): CircuitView {
    return {
      state: this.current(),
      failures: this.failures,
      success_count: this.successCount,
      call_count: this.callCount,
      last_failure: this.lastFailure === null ? null : new Date(this.lastFailure).toISOString(),
      opened_at: this.openedAt === null ? null : new Date(this.openedAt).toISOString(),
      forced: this.forced,
    };
  }
}

/**
 * Circuit breakers keyed by IOC prefix (spec §4.3): CLOSED → OPEN after `failMax` consecutive failures,
 * OPEN → HALF_OPEN after `resetTimeoutMs`, one trial call closes or re-opens it. They gate only the
 * watchdog's one-off reads and test-epics, as upstream.
 */
export class CircuitRegistry {
  readonly #circuits = new Map<string, Circuit>();

  constructor(private readonly options: { failMax: number; resetTimeoutMs: number }) {}

  #get(name: string): Circuit {
    let circuit = this.#circuits.get(name);
    if (!circuit) this.#circuits.set(name, (circuit = new Circuit(this.options.resetTimeoutMs)));
    return circuit;
  }

  /** runs `operation` through the breaker of the address's IOC prefix */
  async call<T>(address: string, operation: () => Promise<T>): Promise<T> {
    const name = breakerKey(address);
    const circuit = this.#get(name);
    const state = circuit.current();
    if (state === 'OPEN' || (state === 'HALF_OPEN' && circuit.trialInFlight)) throw new CircuitOpenError(`Circuit breaker open for ${name}`);
    const trial = state === 'HALF_OPEN';
    circuit.trialInFlight = trial;
    circuit.callCount += 1;
    try {
      const result = await operation();
      circuit.successCount += 1;
      circuit.failures = 0;
      if (circuit.state === 'HALF_OPEN') {
        circuit.state = 'CLOSED';
        circuit.openedAt = null;
      }
      return result;
    } catch (err) {
      circuit.failures += 1;
      circuit.lastFailure = Date.now();
      if (circuit.state === 'HALF_OPEN' || (circuit.state === 'CLOSED' && circuit.failures >= this.options.failMax)) {
        circuit.state = 'OPEN';
        circuit.openedAt = Date.now();
      }
      throw err;
    } finally {
      if (trial) circuit.trialInFlight = false;
    }
  }

  /** forced open never half-opens by itself; an unknown name creates the circuit */
  forceOpen(name: string): void {
    const circuit = this.#get(name);
    circuit.state = 'OPEN';
    circuit.forced = true;
    circuit.openedAt = Date.now();
  }

  /** closes and resets the counters */
  forceClose(name: string): void {
    const circuit = this.#get(name);
    Object.assign(circuit, { state: 'CLOSED', forced: false, failures: 0, openedAt: null });
  }

  snapshot() {
    const circuits: Record<string, CircuitView> = {};
    for (const [name, circuit] of [...this.#circuits].sort(([a], [b]) => a.localeCompare(b))) circuits[name] = circuit.view();
    const open = Object.entries(circuits).filter(([, view]) => view.state === 'OPEN').map(([name]) => name);
    return { open_circuit_count: open.length, total_circuits: this.#circuits.size, open_circuits: open, circuits };
  }
}
