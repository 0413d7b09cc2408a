/** What a bench server in a child process answers on each stdin line: its resource use so far. */

export interface ProcessUsage {
  /** CPU time of the whole process, every thread, µs */
  cpuMicros: number;
  /** time its main thread (the event loop) has been busy, µs */
  mainMicros: number;
  rssBytes: number;
}

export function processUsage(): ProcessUsage {
  const { user, system } = process.cpuUsage();
  return { cpuMicros: user + system, mainMicros: Math.round(performance.eventLoopUtilization().active * 1000), rssBytes: process.memoryUsage.rss() };
}
