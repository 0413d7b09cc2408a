import fs from 'node:fs/promises';
import os from 'node:os';

/** Readings of the machine the server runs on, for the `system` plugin in real mode (spec §4.5). */

const GIB = 1024 ** 3;
const PREFERRED_THERMAL_TYPES = ['x86_pkg_temp', 'cpu-thermal', 'k10temp', 'soc_thermal'];

const round2 = (value: number) => Math.round(value * 100) / 100;

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, idle: cpuIdle, irq } = cpu.times;
    idle += cpuIdle;
    total += user + nice + sys + cpuIdle + irq;
  }
  return { idle, total };
}

/** CPU usage between successive calls; the first call only primes the counters. */
export class CpuUsage {
  private previous: CpuTimes | undefined;

  sample(): number | undefined {
    const current = cpuTimes();
    const previous = this.previous;
    this.previous = current;
    if (!previous || current.total <= previous.total) return undefined;
    const busy = 1 - (current.idle - previous.idle) / (current.total - previous.total);
    return round2(Math.min(100, Math.max(0, busy * 100)));
  }
}

export async function memoryUsage(): Promise<{ percent: number; usedGb: number }> {
  const total = os.totalmem();
  let available = os.freemem();
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(await fs.readFile('/proc/meminfo', 'utf8'));
    if (match) available = Number(match[1]) * 1024;
  } catch {
    // not Linux: os.freemem() stands in
  }
  const used = total - available;
  return { percent: round2((used / total) * 100), usedGb: round2(used / GIB) };
}

export async function diskUsage(path = '/'): Promise<{ percent: number; usedGb: number }> {
  const stats = await fs.statfs(path);
  const used = (stats.blocks - stats.bfree) * stats.bsize;
  const available = stats.bavail * stats.bsize;
  return { percent: round2((used / (used + available)) * 100), usedGb: round2(used / GIB) };
}

export function loadAverage(): number {
  return round2(os.loadavg()[0] ?? 0);
}

/** CPU temperature in °C from the preferred thermal zone, or undefined when the host exposes none. */
export async function cpuTemperature(root = '/sys/class/thermal'): Promise<number | undefined> {
  let zones: string[];
  try {
    zones = (await fs.readdir(root)).filter((name) => name.startsWith('thermal_zone'));
  } catch {
    return undefined;
  }
  const readings: Array<{ type: string; celsius: number }> = [];
  for (const zone of zones) {
    try {
      const [type, milli] = await Promise.all([fs.readFile(`${root}/${zone}/type`, 'utf8'), fs.readFile(`${root}/${zone}/temp`, 'utf8')]);
      const celsius = Number(milli.trim()) / 1000;
      if (Number.isFinite(celsius)) readings.push({ type: type.trim(), celsius });
    } catch {
      // a zone without a readable sensor is skipped
    }
  }
  const preferred = PREFERRED_THERMAL_TYPES.map((type) => readings.find((r) => r.type === type)).find(Boolean);
  const chosen = preferred ?? readings[0];
  return chosen ? round2(chosen.celsius) : undefined;
}
