import { fnv1a, gaussian, mulberry32 } from './random.ts';
import type { ChannelSpec } from './types.ts';

/** The demo signal shapes of spec §4.5; `period` in seconds. */
export type Profile =
  | { kind: 'sine'; base: number; amp: number; period: number; noise: number }
  | { kind: 'sawtooth'; base: number; amp: number; period: number; noise: number }
  | { kind: 'step'; base: number; amp: number; period: number; noise: number }
  | { kind: 'walk'; base: number; amp: number; noise: number }
  | { kind: 'constant'; base: number; noise: number };

export interface SimulatedChannel extends ChannelSpec {
  profile?: Profile;
}

/**
 * Produces one instance's simulated readings: t counts from its first read, the random stream is
 * seeded by the instance name, values are clamped to the channel range and rounded to 3 decimals.
 */
export class SignalGenerator {
  private readonly normal: (stdDev: number) => number;
  private readonly walks = new Map<string, number>();
  private startedAtMs: number | undefined;

  constructor(
    instanceName: string,
    private readonly channels: readonly SimulatedChannel[],
  ) {
    this.normal = gaussian(mulberry32(fnv1a(instanceName)));
  }

  read(nowMs: number): Map<string, number> {
    this.startedAtMs ??= nowMs;
    const t = (nowMs - this.startedAtMs) / 1000;
    const readings = new Map<string, number>();
    for (const channel of this.channels) {
      if (!channel.profile || channel.direction === 'output') continue;
      const raw = this.shape(channel.id, channel.profile, t) + this.normal(channel.profile.noise);
      const clamped = Math.min(channel.maxValue, Math.max(channel.minValue, raw));
      readings.set(channel.id, Math.round(clamped * 1000) / 1000);
    }
    return readings;
  }

  private shape(channelId: string, profile: Profile, t: number): number {
    switch (profile.kind) {
      case 'sine':
        return profile.base + profile.amp * Math.sin((2 * Math.PI * t) / profile.period);
      case 'sawtooth':
        return profile.base - profile.amp + 2 * profile.amp * ((t % profile.period) / profile.period);
      case 'step':
        return Math.floor(t / profile.period) % 2 === 1 ? profile.base + profile.amp : profile.base - profile.amp;
      case 'constant':
        return profile.base;
      case 'walk': {
        // spec D25: a bounded, mean-reverting walk instead of upstream's fresh noise around base
        const previous = this.walks.get(channelId) ?? profile.base;
        const stepped = previous + this.normal(0.05 * profile.amp) + 0.02 * (profile.base - previous);
        const next = Math.min(profile.base + profile.amp, Math.max(profile.base - profile.amp, stepped));
        this.walks.set(channelId, next);
        return next;
      }
    }
  }
}
