import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidCursorError,
  PaginationError,
  decodeCursor,
  encodeCursor,
  parseIntegerParam,
  parseLimitOffset,
  parsePageQuery,
} from '../../../src/core/pagination/index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const afterId = (position: Record<string, unknown>) =>
  typeof position.after === 'string' && UUID.test(position.after) ? { after: position.after } : undefined;
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function assertInvalidCursor(cursor: string, message: string): void {
  assert.throws(() => decodeCursor(cursor, afterId), (err: unknown) => err instanceof InvalidCursorError && err.message === message && err.statusCode === 400);
}

describe('cursors', () => {
  const id = '01890a5d-ac96-774b-bcce-b302099a8057';

  it('encodes base64url JSON with the version first', () => {
    const cursor = encodeCursor({ after: id });
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(cursor, 'base64url').toString('utf8'), `{"v":1,"after":"${id}"}`);
  });

  it('decodes what it encodes, handing the validator the position without the version', () => {
    let seen: Record<string, unknown> | undefined;
    const decoded = decodeCursor(encodeCursor({ after: id, rank: 3 }), (position) => (seen = position));
    assert.deepEqual(decoded, { after: id, rank: 3 });
    assert.deepEqual(seen, { after: id, rank: 3 });
  });

  it('rejects garbled base64url', () => {
    assertInvalidCursor('%%%', 'cursor is not base64url');
    assertInvalidCursor('abc=', 'cursor is not base64url');
    assertInvalidCursor('', 'cursor is not base64url');
    assertInvalidCursor('a'.repeat(5000), 'cursor is not base64url');
  });

  it('rejects base64url that is not JSON', () => {
    assertInvalidCursor(b64('not json'), 'cursor is not JSON');
    assertInvalidCursor('_w', 'cursor is not JSON');
  });

  it('rejects JSON that is not an object', () => {
    for (const json of ['[1]', '"x"', '42', 'null']) assertInvalidCursor(b64(json), 'cursor is not an object');
  });

  it('rejects a missing or wrong version', () => {
    for (const json of [`{"after":"${id}"}`, `{"v":2,"after":"${id}"}`, `{"v":"1","after":"${id}"}`]) {
      assertInvalidCursor(b64(json), 'cursor has an unknown version');
    }
  });

  it('rejects a position the validator refuses or throws on', () => {
    assertInvalidCursor(encodeCursor({ after: 'not-a-uuid' }), 'cursor position is not valid here');
    assert.throws(
      () => decodeCursor(encodeCursor({ after: id }), () => { throw new Error('boom'); }),
      (err: unknown) => err instanceof InvalidCursorError && err.message === 'cursor position is not valid here',
    );
  });

  it('never throws anything but InvalidCursorError for arbitrary input', () => {
    const arbitraryCursor = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
      fc.json().map(b64),
      fc.jsonValue().map((value) => b64(JSON.stringify({ v: 1, after: value }))),
    );
    fc.assert(
      fc.property(arbitraryCursor, (cursor) => {
        try {
          const decoded = decodeCursor(cursor, afterId);
          assert.match(decoded.after, UUID);
        } catch (err) {
          assert.ok(err instanceof InvalidCursorError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('page and page_size', () => {
  const options = { defaultPageSize: 50, maxPageSize: 200 };

  it('defaults to page 1 with the default size', () => {
    assert.deepEqual(parsePageQuery({}, options), { page: 1, pageSize: 50, limit: 50, offset: 0 });
  });

  it('turns page and page_size into limit and offset', () => {
    assert.deepEqual(parsePageQuery({ page: '3', page_size: '20' }, options), { page: 3, pageSize: 20, limit: 20, offset: 40 });
    assert.deepEqual(parsePageQuery({ page: 2, page_size: 200 }, options), { page: 2, pageSize: 200, limit: 200, offset: 200 });
  });

  it('reads custom field names', () => {
    const window = parsePageQuery({ p: '2', size: '5' }, { ...options, pageField: 'p', pageSizeField: 'size' });
    assert.deepEqual(window, { page: 2, pageSize: 5, limit: 5, offset: 5 });
  });

  const rejected: Array<[Record<string, unknown>, string, string, string]> = [
    [{ page_size: '0' }, 'page_size', 'too_small', 'page_size must be greater than or equal to 1'],
    [{ page_size: '201' }, 'page_size', 'too_large', 'page_size must be less than or equal to 200'],
    [{ page: '0' }, 'page', 'too_small', 'page must be greater than or equal to 1'],
    [{ page: '-1' }, 'page', 'too_small', 'page must be greater than or equal to 1'],
    [{ page: 'abc' }, 'page', 'not_integer', 'page must be an integer'],
    [{ page: '1.5' }, 'page', 'not_integer', 'page must be an integer'],
    [{ page: '' }, 'page', 'not_integer', 'page must be an integer'],
    [{ page: ' 1' }, 'page', 'not_integer', 'page must be an integer'],
    [{ page: ['1', '2'] }, 'page', 'not_integer', 'page must be an integer'],
    [{ page: 2.5 }, 'page', 'not_integer', 'page must be an integer'],
    [{ page: '9'.repeat(40) }, 'page', 'too_large', `page must be less than or equal to ${Math.floor(Number.MAX_SAFE_INTEGER / 200)}`],
  ];
  for (const [query, field, problem, message] of rejected) {
    it(`rejects ${JSON.stringify(query)} naming ${field}`, () => {
      assert.throws(
        () => parsePageQuery(query, options),
        (err: unknown) => err instanceof PaginationError && err.field === field && err.problem === problem && err.message === message && err.statusCode === 400,
      );
    });
  }

  it('honours maxPage', () => {
    assert.throws(() => parsePageQuery({ page: '11' }, { ...options, maxPage: 10 }), (err: unknown) => err instanceof PaginationError && err.max === 10);
  });
});

describe('limit and offset', () => {
  const options = { defaultLimit: 20, maxLimit: 100, maxOffset: 1_000_000 };

  it('defaults to the default limit and offset 0', () => {
    assert.deepEqual(parseLimitOffset({}, options), { limit: 20, offset: 0 });
  });

  it('parses given values at the bounds', () => {
    assert.deepEqual(parseLimitOffset({ limit: '100', offset: '1000000' }, options), { limit: 100, offset: 1_000_000 });
    assert.deepEqual(parseLimitOffset({ limit: '1', offset: '0' }, options), { limit: 1, offset: 0 });
  });

  it('rejects values out of bounds naming the field', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ limit: '0' }, 'limit', 'too_small'],
      [{ limit: '101' }, 'limit', 'too_large'],
      [{ offset: '-1' }, 'offset', 'too_small'],
      [{ offset: '1000001' }, 'offset', 'too_large'],
      [{ offset: 'x' }, 'offset', 'not_integer'],
    ];
    for (const [query, field, problem] of cases) {
      assert.throws(() => parseLimitOffset(query, options), (err: unknown) => err instanceof PaginationError && err.field === field && err.problem === problem, JSON.stringify(query));
    }
  });

  it('accepts a zero limit when minLimit allows it, and custom field names', () => {
    assert.deepEqual(parseLimitOffset({ pageSize: '0', skip: '5' }, { ...options, minLimit: 0, limitField: 'pageSize', offsetField: 'skip' }), { limit: 0, offset: 5 });
  });

  it('parseIntegerParam returns undefined when the value is absent', () => {
    assert.equal(parseIntegerParam('limit', undefined, { min: 1, max: 10 }), undefined);
    assert.equal(parseIntegerParam('limit', '007', { min: 1, max: 10 }), 7);
  });

  it('never throws anything but PaginationError for arbitrary query values', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (limit, offset) => {
        try {
          const window = parseLimitOffset({ limit, offset }, options);
          assert.ok(Number.isInteger(window.limit) && window.limit >= 1 && window.limit <= 100);
          assert.ok(Number.isInteger(window.offset) && window.offset >= 0 && window.offset <= 1_000_000);
        } catch (err) {
          assert.ok(err instanceof PaginationError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
