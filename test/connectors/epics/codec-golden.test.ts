import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { dbrElementSize, dbrSizeN, dbrValueOffset, decodeDbr, encodeDbr, type DbrData } from '../../../src/connectors/epics/ca/codec.ts';
import { dbrName } from '../../../src/connectors/epics/ca/constants.ts';

interface GoldenFile {
  libca: { dbr_size: number[]; dbr_value_offset: number[]; dbr_value_size: number[] };
  vectors: { dbrType: number; name: string; count: number; data: DbrData; hex: string }[];
}

/** made by test/fixtures/ca/make_dbr_golden.py from the db_access.h structures and libca's own size tables */
const golden = JSON.parse(fs.readFileSync(new URL('../../fixtures/ca/dbr-golden.json', import.meta.url), 'utf8')) as GoldenFile;

describe('DBR golden vectors (db_access.h layouts, sizes from libca)', () => {
  it('has the value offset, element size and struct size libca compiles for every type 0–34', () => {
    for (let dbrType = 0; dbrType <= 34; dbrType++) {
      assert.equal(dbrValueOffset(dbrType), golden.libca.dbr_value_offset[dbrType], `offset of ${dbrName(dbrType)}`);
      assert.equal(dbrElementSize(dbrType), golden.libca.dbr_value_size[dbrType], `element size of ${dbrName(dbrType)}`);
      assert.equal(dbrSizeN(dbrType, 1), golden.libca.dbr_size[dbrType], `size of ${dbrName(dbrType)}`);
    }
  });

  it('covers every type 0–34 as a scalar and a two-element array', () => {
    assert.deepStrictEqual(golden.vectors.map((v) => `${v.dbrType}x${v.count}`), Array.from({ length: 35 }, (_, t) => [`${t}x1`, `${t}x2`]).flat());
  });

  for (const vector of golden.vectors) {
    it(`encodes and decodes ${vector.name} × ${vector.count} byte for byte`, () => {
      assert.equal(dbrName(vector.dbrType), vector.name);
      assert.equal(encodeDbr(vector.dbrType, vector.data).toString('hex'), vector.hex);
      assert.deepStrictEqual(decodeDbr(vector.dbrType, vector.count, Buffer.from(vector.hex, 'hex')), vector.data);
    });
  }
});
