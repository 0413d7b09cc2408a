import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/config.ts';
import {
  interfaceBroadcastAddresses,
  parseAddressList,
  readCaClientConfig,
} from '../../../src/connectors/epics/ca/client/config.ts';

test('defaults follow the EPICS client defaults', () => {
  const config = readCaClientConfig({});
  assert.deepEqual(config, {
    addressList: [],
    autoAddressList: true,
    serverPort: 5064,
    repeaterPort: 5065,
    connectionTimeoutMs: 30_000,
    echoTimeoutMs: 5000,
    maxSearchPeriodMs: 300_000,
    maxArrayBytes: 16_777_216,
    startRepeater: true,
  });
});

test('standard variables are read, and entries without a port take EPICS_CA_SERVER_PORT', () => {
  const config = readCaClientConfig({
    EPICS_CA_ADDR_LIST: ' 127.0.0.1  ioc.example:6000\t10.0.0.255 ',
    EPICS_CA_AUTO_ADDR_LIST: 'NO',
    EPICS_CA_SERVER_PORT: '7064',
    EPICS_CA_REPEATER_PORT: '7065',
    EPICS_CA_CONN_TMO: '2.5',
    EPICS_CA_MAX_SEARCH_PERIOD: '60',
    EPICS_CA_MAX_ARRAY_BYTES: '100000',
  });
  assert.deepEqual(config.addressList, [
    { host: '127.0.0.1', port: 7064 },
    { host: 'ioc.example', port: 6000 },
    { host: '10.0.0.255', port: 7064 },
  ]);
  assert.equal(config.autoAddressList, false);
  assert.equal(config.repeaterPort, 7065);
  assert.equal(config.connectionTimeoutMs, 2500);
  assert.equal(config.maxSearchPeriodMs, 60_000);
  assert.equal(config.maxArrayBytes, 100_000);
});

test('a prefixed copy of a variable wins over the standard name', () => {
  const config = readCaClientConfig(
    { EPICS_CA_SERVER_PORT: '5064', SQUIRREL_EPICS_CA_SERVER_PORT: '9064', SQUIRREL_EPICS_CA_ADDR_LIST: 'localhost' },
    { overridePrefix: 'SQUIRREL_' },
  );
  assert.equal(config.serverPort, 9064);
  assert.deepEqual(config.addressList, [{ host: 'localhost', port: 9064 }]);
});

test('a bad value throws a ConfigError naming the variable that held it', () => {
  assert.throws(
    () => readCaClientConfig({ EPICS_CA_SERVER_PORT: 'abc' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'EPICS_CA_SERVER_PORT',
  );
  assert.throws(
    () => readCaClientConfig({ SQUIRREL_EPICS_CA_CONN_TMO: '-1' }, { overridePrefix: 'SQUIRREL_' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'SQUIRREL_EPICS_CA_CONN_TMO',
  );
  assert.throws(
    () => readCaClientConfig({ EPICS_CA_ADDR_LIST: '127.0.0.1:99999' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'EPICS_CA_ADDR_LIST' && /bad entry "127.0.0.1:99999"/.test(err.message),
  );
  assert.throws(
    () => readCaClientConfig({ EPICS_CA_AUTO_ADDR_LIST: 'maybe' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'EPICS_CA_AUTO_ADDR_LIST',
  );
});

test('EPICS_CA_NAME_SERVERS is reported as unsupported', () => {
  const warnings: string[] = [];
  readCaClientConfig({ EPICS_CA_NAME_SERVERS: 'ns:5064' }, { logger: { warn: (m) => warnings.push(m), debug: () => {} } });
  assert.deepEqual(warnings, ['EPICS_CA_NAME_SERVERS is not supported; names are searched over UDP only']);
});

test('parseAddressList rejects entries that are not host[:port]', () => {
  assert.deepEqual(parseAddressList('', 5064), []);
  assert.throws(() => parseAddressList('a:b', 5064), /bad entry "a:b"/);
  assert.throws(() => parseAddressList('host:0', 5064), /bad entry "host:0"/);
});

test('auto address list holds the broadcast address of each non-loopback IPv4 interface', () => {
  const addresses = interfaceBroadcastAddresses({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true, mac: '', cidr: null }],
    eth0: [
      { address: '192.168.1.17', netmask: '255.255.255.0', family: 'IPv4', internal: false, mac: '', cidr: null },
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, mac: '', cidr: null, scopeid: 1 },
    ],
    eth1: [{ address: '10.1.2.3', netmask: '255.255.0.0', family: 'IPv4', internal: false, mac: '', cidr: null }],
  });
  assert.deepEqual(addresses, ['192.168.1.255', '10.1.255.255']);
});
