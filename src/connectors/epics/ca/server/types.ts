import type { AccessRights, DbrLimits, EpicsTimeStamp } from '../codec.ts';
import type { CaCircuit } from './circuit.ts';

/** Everything a read or monitor update can report about a PV, in its native field type. */
export interface PvState {
  /** current elements (for arrays, the current element count, at most `maxCount`) */
  value: readonly number[] | readonly string[];
  status: number;
  severity: number;
  stamp: EpicsTimeStamp;
  units: string;
  precision: number;
  /** all eight limits; GR replies use the first six */
  limits: Required<DbrLimits>;
  enumStrings: readonly string[];
}

/** One PV as the CA server sees it; the soft IOC's database provides them. */
export interface CaServedPv {
  readonly name: string;
  /** DBF_* */
  readonly fieldType: number;
  /** the element count announced when a channel is created */
  readonly maxCount: number;
  readonly access: AccessRights;
  state(): PvState;
  /**
   * Writes elements received as `fieldType` (converted to the native type by the PV). Resolves with
   * the ECA status once the write has completed, which is when a WRITE_NOTIFY is answered.
   */
  write(values: number[] | string[], fieldType: number): Promise<number>;
}

/** What a PV database tells the server; `mask` is DBE_VALUE | DBE_LOG | DBE_ALARM | DBE_PROPERTY bits. */
export interface CaPvListener {
  changed(pv: CaServedPv, mask: number): void;
  accessChanged(pv: CaServedPv): void;
  removed(pv: CaServedPv): void;
}

/** The server's source of PVs. */
export interface CaPvProvider {
  find(name: string): CaServedPv | undefined;
  /** returns the unsubscribe function */
  listen(listener: CaPvListener): () => void;
}

/** A frame crossing the server's sockets, for `--log-frames` and conformance fixtures. */
export interface FrameLogEntry {
  direction: 'in' | 'out';
  transport: 'udp' | 'tcp';
  /** 'host:port' of the other side */
  peer: string;
  frame: Buffer;
}

export interface ServerChannel {
  readonly sid: number;
  readonly cid: number;
  readonly pv: CaServedPv;
  readonly circuit: CaCircuit;
  readonly subscriptions: Map<number, Subscription>;
}

export interface Subscription {
  readonly channel: ServerChannel;
  readonly id: number;
  readonly dataType: number;
  readonly dataCount: number;
  readonly mask: number;
}

/** What a circuit needs from its server. */
export interface CircuitHost {
  serverPort(): number;
  findPv(name: string): CaServedPv | undefined;
  nextSid(): number;
  channelOpened(channel: ServerChannel): void;
  channelClosed(channel: ServerChannel): void;
  circuitClosed(circuit: CaCircuit): void;
  logFrame?: (entry: FrameLogEntry) => void;
  onError?: (err: Error, context: string) => void;
}
