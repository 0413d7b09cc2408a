import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { LeaderElection } from '../../../core/leader/types.ts';
import type { IngestionPipeline, IngestItem } from '../ingestion/pipeline.ts';
import { BUILTIN_PLUGINS, builtinPlugin, type PluginDevice } from './builtin/index.ts';
import type { InstanceRow, MappingRow, PluginsRepo } from './repo.ts';
import { nowMicros } from '../time.ts';
import type { ValveCycle } from './valve-cycle.ts';

export interface ControllerOptions {
  repo: PluginsRepo;
  pipeline: IngestionPipeline;
  leader: LeaderElection;
  logger: Logger;
  pollIntervalMs: number;
  maxBatchSize: number;
  dedup: boolean;
  /** `webmacs_actuator_writes_total` */
  actuatorWrites: Counter;
  /** with `WEBMACS_RULE_EVENT_ID` */
  valveCycle?: ValveCycle;
}

interface RunningDevice {
  device: PluginDevice;
  /** rebuilt when the instance is renamed or switches between demo and real */
  signature: string;
  failures: number;
  retryAtMs: number;
  /** per output channel: the datapoint last written to it */
  applied: Map<string, number>;
  /** per input channel: the value last sent, for WEBMACS_DEDUP_ENABLED */
  lastValues: Map<string, number>;
}

const MAX_BACKOFF_MS = 60_000;
const builtinIds = BUILTIN_PLUGINS.map((plugin) => plugin.id);

/**
 * The in-process controller of spec §4.5: on the lease holder only, every poll interval (ticks never
 * overlap; a late tick is skipped) it reads each enabled built-in instance's mapped inputs into the
 * ingestion pipeline, applies new actuator values to outputs, and keeps instance `status` current (D26).
 */
export class PluginController {
  private readonly devices = new Map<number, RunningDevice>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: ControllerOptions) {}

  async start(): Promise<void> {
    const { leader } = this.options;
    leader.onChange((isLeader) => (isLeader ? this.resume() : this.pause()));
    await leader.start();
    if (leader.isLeader()) this.resume();
  }

  async stop(): Promise<void> {
    this.pause();
    await this.ticking;
    await this.options.valveCycle?.stop();
    await this.options.leader.stop();
  }

  private resume(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  private pause(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      const startedAt = Date.now();
      this.ticking = this.tick()
        .catch((err: unknown) => this.options.logger.error({ err }, 'controller tick failed'))
        .finally(() => {
          const { pollIntervalMs } = this.options;
          const elapsed = Date.now() - startedAt;
          this.schedule(pollIntervalMs - (elapsed % pollIntervalMs));
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One poll of every built-in instance; exposed for tests that drive the controller tick by tick. */
  async tick(nowMs = Date.now()): Promise<void> {
    const { repo } = this.options;
    const instances = await repo.ofPlugins(builtinIds);
    const mappings = await repo.mappingsOf(instances.map((i) => i.id));
    for (const instance of instances) {
      if (!instance.enabled) {
        this.devices.delete(instance.id);
        await this.setStatus(instance, 'inactive', null);
        continue;
      }
      await this.poll(instance, mappings.filter((m) => m.plugin_instance_id === instance.id), nowMs);
    }
    await this.options.valveCycle?.check();
  }

  private deviceFor(instance: InstanceRow): RunningDevice {
    const signature = `${instance.instance_name}|${Boolean(instance.demo_mode)}`;
    let running = this.devices.get(instance.id);
    if (!running || running.signature !== signature) {
      const plugin = builtinPlugin(instance.plugin_id)!;
      const config = instance.config_json === null ? null : (JSON.parse(instance.config_json) as Record<string, unknown>);
      const device = plugin.createDevice({ instanceName: instance.instance_name, demoMode: Boolean(instance.demo_mode), config });
      running = { device, signature, failures: 0, retryAtMs: 0, applied: new Map(), lastValues: new Map() };
      this.devices.set(instance.id, running);
    }
    return running;
  }

  private async poll(instance: InstanceRow, mappings: MappingRow[], nowMs: number): Promise<void> {
    const running = this.deviceFor(instance);
    if (nowMs < running.retryAtMs) return;
    let readings: Map<string, number>;
    try {
      readings = await running.device.read(nowMs);
    } catch (err) {
      running.failures += 1;
      running.retryAtMs = nowMs + Math.min(MAX_BACKOFF_MS, 2 ** running.failures * 1000);
      await this.setStatus(instance, 'error', (err as Error).message);
      return;
    }
    running.failures = 0;
    await this.setStatus(instance, instance.demo_mode ? 'demo' : 'connected', null);
    await this.ingestInputs(running, mappings, readings);
    await this.applyOutputs(running, instance, mappings);
  }

  private async ingestInputs(running: RunningDevice, mappings: MappingRow[], readings: Map<string, number>): Promise<void> {
    const ts = nowMicros();
    const items: IngestItem[] = [];
    for (const mapping of mappings) {
      if (mapping.direction === 'output' || mapping.event_public_id === null) continue;
      const value = readings.get(mapping.channel_id);
      if (value === undefined) continue;
      if (this.options.dedup && running.lastValues.get(mapping.channel_id) === value) continue;
      running.lastValues.set(mapping.channel_id, value);
      items.push({ value, eventPublicId: mapping.event_public_id, ts });
    }
    for (let start = 0; start < items.length; start += this.options.maxBatchSize) {
      await this.options.pipeline.ingest(items.slice(start, start + this.options.maxBatchSize), 'controller');
    }
  }

  /** A new datapoint on an output's event becomes one write, clamped to the channel range. */
  private async applyOutputs(running: RunningDevice, instance: InstanceRow, mappings: MappingRow[]): Promise<void> {
    const outputs = mappings.filter((m) => m.direction !== 'input' && m.event_id !== null);
    if (outputs.length === 0) return;
    const latest = await this.options.repo.latestOf(outputs.map((m) => m.event_id!));
    const channels = builtinPlugin(instance.plugin_id)?.channels ?? [];
    for (const mapping of outputs) {
      const point = latest.get(mapping.event_id!);
      if (!point || running.applied.get(mapping.channel_id) === point.id) continue;
      running.applied.set(mapping.channel_id, point.id);
      const channel = channels.find((c) => c.id === mapping.channel_id);
      const value = channel ? Math.min(channel.maxValue, Math.max(channel.minValue, point.value)) : point.value;
      running.device.write(mapping.channel_id, value);
      this.options.actuatorWrites.inc();
      this.options.logger.debug({ instance: instance.public_id, channel: mapping.channel_id, value }, 'actuator write');
    }
  }

  private async setStatus(instance: InstanceRow, status: string, errorMessage: string | null): Promise<void> {
    if (instance.status === status && instance.error_message === errorMessage) return;
    await this.options.repo.update(instance.id, { status, error_message: errorMessage });
  }
}
