import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixOwners } from '../../../src/core/http/routing.ts';

/** The rule written the obvious way: the longest prefix equal to the path or followed by a slash. */
function naiveOwner(prefixes: readonly string[], url: string): string | undefined {
  const path = url.split('?', 1)[0]!;
  const matching = prefixes
    .map((prefix) => (prefix === '/' ? '' : prefix.replace(/\/+$/, '')))
    .filter((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  return matching.sort((a, b) => b.length - a.length)[0];
}

const segment = fc.constantFrom('v1', 'pvs', 'api', 'v1x', 'snapshots', '', 'a');
const path = fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const url = fc.tuple(path, fc.option(fc.constantFrom('?q=1', '?/v1/pvs', '?', '?x=/api'), { nil: '' })).map(([p, q]) => p + q);

test('ownerOf picks the longest prefix at a segment boundary, ignoring the query string', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.oneof(path, fc.constant('/')), { minLength: 1, maxLength: 5 }), url, (prefixes, requestUrl) => {
      const owners = new PrefixOwners<string>();
      const normalise = (prefix: string) => (prefix === '/' ? '' : prefix.replace(/\/+$/, ''));
      for (const prefix of prefixes) owners.add(prefix, normalise(prefix));
      assert.equal(owners.ownerOf(requestUrl), naiveOwner(prefixes, requestUrl));
    }),
    { numRuns: 2000 },
  );
});

test('examples: /v1/pvs beats /v1, /v1x is not under /v1, the query never decides', () => {
  const owners = new PrefixOwners<string>();
  owners.add('/v1', 'squirrelscan');
  owners.add('/v1/pvs', 'squirrel');
  assert.equal(owners.ownerOf('/v1/pvs/12?x=1'), 'squirrel');
  assert.equal(owners.ownerOf('/v1/pvs'), 'squirrel');
  assert.equal(owners.ownerOf('/v1/pvsx'), 'squirrelscan');
  assert.equal(owners.ownerOf('/v1x'), undefined);
  assert.equal(owners.ownerOf('/other?/v1/pvs'), undefined);
  assert.equal(owners.ownerOf('/v1?/pvs'), 'squirrelscan');
});
