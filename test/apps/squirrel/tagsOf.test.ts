import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tagsOf, type TagWithGroup } from '../../../src/apps/squirrel/tags/repo.ts';

const tag = (id: string, group_name: string, name: string): TagWithGroup => ({ id, name, description: null, group_id: `g-${group_name}`, group_name });

describe('squirrel tags of PVs from their tag ids (tagsOf)', () => {
  // as tagsByIds gives them: ordered by group, then tag name
  const ordered = [tag('t1', 'Area', 'LI21'), tag('t2', 'Area', 'LI22'), tag('t3', 'Beam', 'alpha')];

  it('gives each key its tags in the catalogue order, whatever order the ids came in', () => {
    const tags = tagsOf(new Map([['pv-a', ['t3', 't1', 't2']], ['pv-b', ['t2']]]), ordered);
    assert.deepEqual(tags.get('pv-a')!.map((t) => t.id), ['t1', 't2', 't3']);
    assert.deepEqual(tags.get('pv-b'), [ordered[1]]);
  });

  it('leaves out an id that names no tag (one deleted between the two reads) and keeps keys without tags', () => {
    const tags = tagsOf(new Map([['pv-a', ['gone', 't3']], ['pv-b', []], ['pv-c', ['gone']]]), ordered);
    assert.deepEqual([...tags].map(([key, list]) => [key, list.map((t) => t.id)]), [['pv-a', ['t3']], ['pv-b', []], ['pv-c', []]]);
  });
});
