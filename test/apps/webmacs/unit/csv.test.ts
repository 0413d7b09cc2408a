import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { csvLine, exportContentDisposition, pythonFloatRepr } from '../../../../src/apps/webmacs/experiments/csv.ts';

describe('experiment CSV format (spec §3.6)', () => {
  it('§12.33 formats values as Python repr does', () => {
    const cases: Array<[number, string]> = [
      [42.5, '42.5'],
      [20, '20.0'],
      [0.00001, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [-2.5e-7, '-2.5e-07'],
      [123456789012345.6, '123456789012345.6'],
      [2 ** 53 + 2, '9007199254740994.0'],
      [1e16 + 2, '1.0000000000000002e+16'],
      [0, '0.0'],
      [-0, '-0.0'],
      [1.5e300, '1.5e+300'],
      [5e-324, '5e-324'],
    ];
    for (const [value, expected] of cases) assert.equal(pythonFloatRepr(value), expected, String(value));
  });

  it('agrees with python3 repr() on random doubles', () => {
    const values = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), 500);
    const python = execFileSync('/usr/bin/python3', ['-c', 'import sys,json\nfor v in json.load(sys.stdin): print(repr(float(v)))'], {
      input: JSON.stringify(values.map((v) => (Object.is(v, -0) ? '-0.0' : v.toString()))),
    })
      .toString()
      .trim()
      .split('\n');
    assert.deepEqual(values.map(pythonFloatRepr), python);
  });

  it('quotes only fields with a comma, quote, CR or LF, doubling inner quotes, and ends lines with CRLF', () => {
    assert.equal(csvLine(['a', 'b,c', 'say "hi"', 'x\ny', 'plain']), 'a,"b,c","say ""hi""","x\ny",plain\r\n');
  });

  it('§12.34 names the file experiment_<name>_<first 8 of the id> with spaces and slashes replaced', () => {
    assert.equal(
      exportContentDisposition('Run 42/b', 'exp_abcdefgh12345678abcdefgh'),
      `attachment; filename="experiment_Run_42-b_abcdefgh.csv"; filename*=UTF-8''experiment_Run_42-b_abcdefgh.csv`,
    );
  });

  it('§12.34 gives non-ASCII names an ASCII fallback plus filename*', () => {
    assert.equal(
      exportContentDisposition('Température "x"', 'exp_0123456789abcdefghijklmn'),
      `attachment; filename="experiment_Temp_rature__x__01234567.csv"; filename*=UTF-8''experiment_Temp%C3%A9rature_%22x%22_01234567.csv`,
    );
  });
});
