/**
 * Byte conformance (spec §5.6, checklist 94): the frames our client sends for search, create, read,
 * write-notify and event-add match those Debian's libca sent for the same operations
 * (test/fixtures/ca/libca-frames.json) field by field, apart from ids and the host and user names.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeDatagram, type CaMessage } from '../../../src/connectors/epics/ca/codec.ts';
import {
  CA_PROTO_CLIENT_NAME,
  CA_PROTO_CREATE_CHAN,
  CA_PROTO_HOST_NAME,
  CA_PROTO_VERSION,
  commandName,
} from '../../../src/connectors/epics/ca/constants.ts';
import { Context } from '../../../src/connectors/epics/ca/client/index.ts';
import type { FrameLogEntry } from '../../../src/connectors/epics/ca/server/index.ts';
import { SoftIoc, generatedPvDefinitions } from '../../../src/connectors/epics/softioc/index.ts';
import { freeUdpPort } from './client-harness.ts';

interface Capture {
  operations: { op: string; frames: { transport: 'udp' | 'tcp'; hex: string }[] }[];
}

const capture = JSON.parse(fs.readFileSync(new URL('../../fixtures/ca/libca-frames.json', import.meta.url), 'utf8')) as Capture;

let ioc: SoftIoc;
let context: Context;
const received: { transport: 'udp' | 'tcp'; frame: Buffer }[] = [];

before(async () => {
  const repeaterPort = await freeUdpPort();
  ioc = new SoftIoc({
    definitions: generatedPvDefinitions(2),
    port: 0,
    beaconPort: repeaterPort,
    simRateScale: 0,
    logFrame: (entry: FrameLogEntry) => {
      if (entry.direction === 'in') received.push({ transport: entry.transport, frame: entry.frame });
    },
  });
  await ioc.start();
  context = new Context({ env: {}, config: { addressList: [{ host: '127.0.0.1', port: ioc.port }], autoAddressList: false, repeaterPort } });
});

after(async () => {
  await context.close();
  await ioc.close();
});

type Transport = 'udp' | 'tcp';
interface Sent {
  transport: Transport;
  message: CaMessage;
}

function split(transport: Transport, frame: Buffer): Sent[] {
  return decodeDatagram(frame).map((message) => ({ transport, message }));
}

/** what the IOC received while `operation` ran (a search retry, if one happened, is left out) */
async function framesOf(operation: () => Promise<unknown>): Promise<Sent[]> {
  const start = received.length;
  await operation();
  await new Promise((resolve) => setImmediate(resolve));
  const frames = received.slice(start);
  const firstDatagram = frames.findIndex((f) => f.transport === 'udp');
  return frames.filter((f, i) => f.transport === 'tcp' || i === firstDatagram).flatMap((f) => split(f.transport, f.frame));
}

function libca(op: string): Sent[] {
  const operation = capture.operations.find((o) => o.op === op);
  assert.ok(operation, `no capture for ${op}`);
  return operation.frames.flatMap((frame) => split(frame.transport, Buffer.from(frame.hex, 'hex')));
}

const label = ({ transport, message }: Sent) => `${transport} ${commandName(message.command)}`;

/** the fields that must agree: everything but ids (cid, sid, ioid, subscription id, sequence) and host/user names */
function comparable({ transport, message }: Sent): Record<string, unknown> {
  const fields: Record<string, unknown> = { command: label({ transport, message }), dataType: message.dataType, dataCount: message.dataCount };
  if (message.command === CA_PROTO_HOST_NAME || message.command === CA_PROTO_CLIENT_NAME) return fields;
  fields.payload = message.payload.toString('hex');
  if (message.command === CA_PROTO_CREATE_CHAN) fields.minorVersion = message.p2;
  if (message.command === CA_PROTO_VERSION && transport === 'tcp') fields.p1p2 = [message.p1, message.p2];
  return fields;
}

/** our messages, in order, each against libca's message of the same transport and command and the same rank among those */
function assertConforms(ours: Sent[], theirs: Sent[]): void {
  const distinct = (list: Sent[]) => list.map(label).filter((item, i, all) => all.indexOf(item) === i);
  assert.deepEqual(distinct(ours), distinct(theirs), 'the same commands, first sent in the same order');
  const rank = new Map<string, number>();
  for (const sent of ours) {
    const index = rank.get(label(sent)) ?? 0;
    rank.set(label(sent), index + 1);
    const counterpart = theirs.filter((other) => label(other) === label(sent))[index];
    assert.ok(counterpart, `libca sent no ${label(sent)} #${index + 1}`);
    assert.deepEqual(comparable(sent), comparable(counterpart));
  }
}

test('connect and get DBR_TIME_DOUBLE: search datagram, circuit handshake, create and read as libca sends them', async () => {
  const channel = context.channel('SIM:1:SP');
  assertConforms(await framesOf(() => channel.get({ type: 'time' })), libca('connect and get DBR_TIME_DOUBLE'));
});

test('get DBR_CTRL_DOUBLE as libca reads it', async () => {
  const channel = context.channel('SIM:1:SP');
  await channel.waitConnected();
  assertConforms(await framesOf(() => channel.get({ type: 'ctrl' })), libca('get DBR_CTRL_DOUBLE'));
});

test('put with callback of a double as libca writes it', async () => {
  const channel = context.channel('SIM:1:SP');
  await channel.waitConnected();
  assertConforms(await framesOf(() => channel.putCallback(12.5)), libca('put with callback (double)'));
});

test('connect and put with callback of a string: the string cut to its length, as libca writes it', async () => {
  const channel = context.channel('SIM:STR');
  assertConforms(await framesOf(() => channel.putCallback('world')), libca('connect and put with callback (string)'));
});

test('connect and monitor DBR_TIME_DOUBLE with the VALUE|ALARM mask, as libca subscribes', async () => {
  const channel = context.channel('SIM:2:SP');
  const ours = await framesOf(() => new Promise<void>((resolve) => channel.subscribe(() => resolve())));
  assertConforms(ours, libca('connect and monitor DBR_TIME_DOUBLE'));
});

test('connect and get the waveform with count 0, as libca asks for it', async () => {
  const channel = context.channel('SIM:WF');
  assertConforms(await framesOf(() => channel.get()), libca('connect and get the waveform'));
});
