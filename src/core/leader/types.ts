/**
 * Leader election for singletons (one EPICS monitor, one UPS poll scheduler across instances).
 * In memory when the process is alone; a Redis lease (SET NX PX, renewed) when REDIS_URL is set.
 */
export interface LeaderElection {
  readonly key: string;
  isLeader(): boolean;
  /** called with true when this instance gains the lease and false when it loses it */
  onChange(listener: (leader: boolean) => void): () => void;
  start(): Promise<void>;
  /** releases the lease if held */
  stop(): Promise<void>;
}
