/**
 * `burrow ca get|put|monitor|info`: Channel Access command-line tools in the manner of EPICS catools
 * (caget, caput, camonitor, cainfo), since Debian ships none. Text output follows catools, one line
 * per PV; `--json` prints one JSON object per line instead (spec §5.5). The exit code is 1 when a PV
 * cannot be reached or an operation fails, 2 on a usage error.
 */
import { ConfigError } from '../../core/config.ts';
import { Context, type Channel, type CaReading, type DbrRequest } from '../../connectors/epics/ca/client/index.ts';
import { dbrTypeOf, epicsStampToIso, isUnsetStamp, type DbrClass } from '../../connectors/epics/ca/codec.ts';
import { alarmSeverityName, alarmStatusName, dbfName, dbrName, DBF_ENUM, DBF_STRING } from '../../connectors/epics/ca/constants.ts';
import type { CliInvocation, CliIo, CliOptions, CliRegistry } from '../registry.ts';

type Values = CliInvocation['values'];

const commonOptions = {
  timeout: { type: 'string', short: 'w' },
  json: { type: 'boolean' },
} satisfies CliOptions;

const CLASSES: readonly DbrClass[] = ['plain', 'time', 'ctrl'];
const NAME_WIDTH = 30;

class UsageError extends Error {}

function timeoutMs(values: Values): number {
  if (values.timeout === undefined) return 1000;
  const seconds = Number(values.timeout);
  if (typeof values.timeout !== 'string' || !(seconds > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got '${String(values.timeout)}'`);
  return seconds * 1000;
}

function dbrClassOf(values: Values, fallback: DbrClass): DbrClass {
  if (values.type === undefined) return fallback;
  const cls = CLASSES.find((c) => c === values.type);
  if (!cls) throw new UsageError(`--type must be one of ${CLASSES.join(', ')}, got '${String(values.type)}'`);
  return cls;
}

/** enums are asked for as text, so that labels print (as caget does), with the metadata of the class */
function requestFor(channel: Channel, cls: DbrClass): DbrRequest {
  return channel.nativeType === DBF_ENUM && cls !== 'ctrl' ? dbrTypeOf(DBF_STRING, cls) : cls;
}

function valueOf(channel: Channel, reading: CaReading): unknown {
  const values = reading.dbrType % 7 === DBF_ENUM && reading.enumStrings?.length ? reading.value.map((v) => reading.enumStrings![v as number] ?? v) : reading.value;
  return channel.nativeCount === 1 && values.length === 1 ? values[0] : values;
}

function textValue(channel: Channel, reading: CaReading): string {
  const value = valueOf(channel, reading);
  return Array.isArray(value) ? `${value.length} ${value.join(' ')}` : String(value);
}

function stampText(reading: CaReading): string | null {
  return reading.stamp && !isUnsetStamp(reading.stamp) ? epicsStampToIso(reading.stamp)!.replace(/(\.\d{6})\d{3}Z$/, '$1Z') : null;
}

function alarmText(reading: CaReading): string {
  const status = reading.status ?? 0;
  const severity = reading.severity ?? 0;
  return status || severity ? ` ${alarmStatusName(status)} ${alarmSeverityName(severity)}` : '';
}

function jsonReading(channel: Channel, reading: CaReading): Record<string, unknown> {
  const out: Record<string, unknown> = { pv: channel.name, value: valueOf(channel, reading), count: reading.count, type: dbfName(channel.nativeType) };
  if (reading.status !== undefined) Object.assign(out, { status: alarmStatusName(reading.status), severity: alarmSeverityName(reading.severity ?? 0) });
  if (reading.stamp) out.timestamp = stampText(reading);
  if (reading.units !== undefined) out.units = reading.units;
  if (reading.precision !== undefined) out.precision = reading.precision;
  if (reading.limits) out.limits = reading.limits;
  if (reading.enumStrings) out.enum_strs = reading.enumStrings;
  return out;
}

/** caget's lines: `NAME value`, with the stamp and alarm for TIME, and caget -d's block for CTRL */
function textReading(channel: Channel, reading: CaReading, cls: DbrClass): string {
  const name = channel.name.padEnd(NAME_WIDTH);
  if (cls === 'plain') return `${name} ${textValue(channel, reading)}`;
  if (cls === 'time') return `${name} ${stampText(reading) ?? '<undefined>'} ${textValue(channel, reading)}${alarmText(reading)}`;
  const rows: [string, unknown][] = [
    ['Native data type', dbfName(channel.nativeType)],
    ['Request type', dbrName(reading.dbrType)],
    ['Element count', reading.count],
    ['Value', textValue(channel, reading)],
    ['Status', alarmStatusName(reading.status ?? 0)],
    ['Severity', alarmSeverityName(reading.severity ?? 0)],
  ];
  if (reading.units !== undefined) rows.push(['Units', reading.units]);
  if (reading.precision !== undefined) rows.push(['Precision', reading.precision]);
  for (const [key, limit] of Object.entries(reading.limits ?? {})) rows.push([key, limit]);
  if (reading.enumStrings) reading.enumStrings.forEach((label, i) => rows.push([`State ${i}`, label]));
  return block(channel.name, rows);
}

/** the name, then indented `Key: value` rows, as caget -d and cainfo print */
function block(name: string, rows: readonly [string, unknown][]): string {
  return [name, ...rows.map(([key, value]) => `    ${`${key}:`.padEnd(18)}${String(value)}`)].join('\n');
}

function reportFailure(io: CliIo, json: boolean, name: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (json) io.stdout.write(`${JSON.stringify({ pv: name, error: message })}\n`);
  else io.stderr.write(`${message.includes(name) ? message : `${name}: ${message}`}\n`);
}

/** runs a tool with a context configured from the environment; maps bad settings and usage to exit codes */
async function withContext(invocation: CliInvocation, tool: (context: Context, wait: number) => Promise<number>): Promise<number> {
  const { io, values } = invocation;
  let context: Context | undefined;
  try {
    const wait = timeoutMs(values);
    context = new Context({ env: io.env, timeoutMs: wait, logger: { warn: (line) => io.stderr.write(`warning: ${line}\n`), debug: () => {} } });
    await context.ready;
    return await tool(context, wait);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`burrow ca: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`burrow ca: ${err instanceof ConfigError ? 'invalid configuration: ' : ''}${(err as Error).message}\n`);
    return err instanceof ConfigError ? 78 : 1;
  } finally {
    await context?.close();
  }
}

function requireNames(positionals: string[], atLeast: number, usage: string): void {
  if (positionals.length < atLeast) throw new UsageError(`expected ${usage}`);
}

export function registerCaCommands(registry: CliRegistry): void {
  registry.add({
    path: ['ca', 'get'],
    summary: 'Read PVs over Channel Access (like caget)',
    usage: '<pv...> [--type plain|time|ctrl] [-w seconds] [--json]',
    help: 'Prints `NAME value` per PV (arrays: `NAME count v1 v2 …`; time: stamp and alarm too).\nExit code 1 when any PV cannot be read.',
    options: { ...commonOptions, type: { type: 'string' } },
    run: (invocation) =>
      withContext(invocation, async (context) => {
        const { io, values, positionals } = invocation;
        requireNames(positionals, 1, 'at least one PV name');
        const cls = dbrClassOf(values, 'plain');
        const channels = positionals.map((name) => context.channel(name));
        const results = await Promise.allSettled(
          channels.map(async (channel) => {
            await channel.waitConnected();
            return channel.get({ type: requestFor(channel, cls) });
          }),
        );
        results.forEach((result, i) => {
          const channel = channels[i]!;
          if (result.status === 'rejected') return reportFailure(io, values.json === true, channel.name, result.reason);
          io.stdout.write(`${values.json ? JSON.stringify(jsonReading(channel, result.value)) : textReading(channel, result.value, cls)}\n`);
        });
        return results.every((result) => result.status === 'fulfilled') ? 0 : 1;
      }),
  });

  registry.add({
    path: ['ca', 'put'],
    summary: 'Write a PV over Channel Access (like caput)',
    usage: '<pv> <value...> [-c|--wait] [-w seconds] [--json]',
    help: 'Several values write an array. --wait uses put-callback and waits for the server to complete the write.\nPrints the old and new values; exit code 1 when the write fails.',
    options: { ...commonOptions, wait: { type: 'boolean', short: 'c' } },
    run: (invocation) =>
      withContext(invocation, async (context) => {
        const { io, values, positionals } = invocation;
        requireNames(positionals, 2, 'a PV name and a value');
        const [name, ...texts] = positionals as [string, ...string[]];
        const channel = context.channel(name);
        try {
          await channel.waitConnected();
          const before = await channel.get({ type: requestFor(channel, 'plain') });
          const numeric = channel.nativeType !== DBF_STRING && channel.nativeType !== DBF_ENUM && texts.every((text) => text.trim() !== '' && Number.isFinite(Number(text)));
          const value = numeric ? texts.map(Number) : texts;
          const written = texts.length === 1 ? value[0]! : value;
          if (values.wait) await channel.putCallback(written);
          else await channel.put(written);
          const after = await channel.get({ type: requestFor(channel, 'plain') });
          if (values.json) {
            io.stdout.write(`${JSON.stringify({ pv: name, old: valueOf(channel, before), new: valueOf(channel, after) })}\n`);
          } else {
            io.stdout.write(`Old : ${name.padEnd(NAME_WIDTH)} ${textValue(channel, before)}\nNew : ${name.padEnd(NAME_WIDTH)} ${textValue(channel, after)}\n`);
          }
          return 0;
        } catch (err) {
          reportFailure(io, values.json === true, name, err);
          return 1;
        }
      }),
  });

  registry.add({
    path: ['ca', 'monitor'],
    summary: 'Print every change of PVs until interrupted (like camonitor)',
    usage: '<pv...> [--type plain|time|ctrl] [-w seconds] [--json]',
    help: 'One line per update: `NAME stamp value [status severity]`. Disconnections print `NAME *** disconnected`.\nExit code 1 when a PV was never reached.',
    options: { ...commonOptions, type: { type: 'string' } },
    run: (invocation) =>
      withContext(invocation, async (context, wait) => {
        const { io, values, positionals, signal } = invocation;
        requireNames(positionals, 1, 'at least one PV name');
        const cls = dbrClassOf(values, 'time');
        const json = values.json === true;
        const print = (line: string) => io.stdout.write(`${line}\n`);
        const reached = new Set<string>();
        for (const name of positionals) {
          const channel = context.channel(name);
          // subscribed once connected, when the native type is known; the channel re-subscribes after reconnections
          channel.once('connect', () => {
            reached.add(name);
            channel.subscribe((reading) => print(json ? JSON.stringify(jsonReading(channel, reading)) : textReading(channel, reading, cls)), {
              type: requestFor(channel, cls),
              onError: (err) => reportFailure(io, json, name, err),
            });
          });
          channel.on('disconnect', (reason) => print(json ? JSON.stringify({ pv: name, connected: false, reason }) : `${name.padEnd(NAME_WIDTH)} *** disconnected`));
          channel.waitConnected({ timeoutMs: wait }).catch((err: unknown) => {
            if (!signal.aborted) reportFailure(io, json, name, err);
          });
        }
        if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return reached.size === positionals.length ? 0 : 1;
      }),
  });

  registry.add({
    path: ['ca', 'info'],
    summary: 'Show how PVs are served: state, server, access, native type and count (like cainfo)',
    usage: '<pv...> [-w seconds] [--json]',
    options: commonOptions,
    run: (invocation) =>
      withContext(invocation, async (context) => {
        const { io, values, positionals } = invocation;
        requireNames(positionals, 1, 'at least one PV name');
        const channels = positionals.map((name) => context.channel(name));
        const connected = await Promise.all(channels.map((channel) => channel.waitConnected().then(() => true, () => false)));
        channels.forEach((channel, i) => {
          const access = channel.accessRights;
          const info = connected[i]
            ? { pv: channel.name, state: 'connected', host: channel.server, access, native_type: dbfName(channel.nativeType), count: channel.nativeCount }
            : { pv: channel.name, state: 'never connected', host: null, access: { read: false, write: false }, native_type: null, count: 0 };
          if (values.json) return io.stdout.write(`${JSON.stringify(info)}\n`);
          const rights = `${info.access.read ? '' : 'no '}read, ${info.access.write ? '' : 'no '}write`;
          const rows: [string, unknown][] = [
            ['State', info.state],
            ['Host', info.host ?? '<disconnected>'],
            ['Access', rights],
            ['Native data type', info.native_type ?? 'TYPENOTCONN'],
            ['Request type', connected[i] ? dbrName(channel.nativeType) : 'TYPENOTCONN'],
            ['Element count', info.count],
          ];
          io.stdout.write(`${block(channel.name, rows)}\n`);
        });
        return connected.every(Boolean) ? 0 : 1;
      }),
  });
}
