import type { Kysely } from 'kysely';
import type { SquirrelDb, TagGroupTable, TagTable } from '../db/schema.ts';
import { unique } from '../format.ts';

export type TagGroupRow = TagGroupTable;
export type TagRow = TagTable;

/** A tag with its group's name, as PV and snapshot views show it. */
export interface TagWithGroup {
  id: string;
  name: string;
  description: string | null;
  group_id: string;
  group_name: string;
}

const CHUNK = 500;

function addTags(byPv: Map<string, TagWithGroup[]>, rows: readonly (TagWithGroup & { pv_id: string })[]): Map<string, TagWithGroup[]> {
  for (const { pv_id, ...tag } of rows) {
    const list = byPv.get(pv_id);
    if (list) list.push(tag);
    else byPv.set(pv_id, [tag]);
  }
  return byPv;
}

/**
 * Each key's tags, from its tag ids and the ordered tags they name (tagsByIds), in that order. An id
 * naming no tag is left out: a tag deleted between the two reads, as if the links had been read after it.
 */
export function tagsOf<K>(tagIdsByKey: ReadonlyMap<K, readonly string[]>, ordered: readonly TagWithGroup[]): Map<K, TagWithGroup[]> {
  const rankOf = new Map(ordered.map((tag, rank) => [tag.id, rank]));
  const tags = new Map<K, TagWithGroup[]>();
  for (const [key, ids] of tagIdsByKey) {
    const ranks: number[] = [];
    for (const id of ids) {
      const rank = rankOf.get(id);
      if (rank !== undefined) ranks.push(rank);
    }
    tags.set(key, ranks.sort((a, b) => a - b).map((rank) => ordered[rank]!));
  }
  return tags;
}

export function createTagRepo(db: Kysely<SquirrelDb>) {
  const orderedTags = () =>
    db
      .selectFrom('tag')
      .innerJoin('tag_group', 'tag_group.id', 'tag.group_id')
      .select(['tag.id', 'tag.name', 'tag.description', 'tag.group_id', 'tag_group.name as group_name'])
      .orderBy('tag_group.name_key')
      .orderBy('tag.name_key');
  const pvTagRows = () =>
    db
      .selectFrom('pv_tag')
      .innerJoin('tag', 'tag.id', 'pv_tag.tag_id')
      .innerJoin('tag_group', 'tag_group.id', 'tag.group_id')
      .select(['pv_tag.pv_id', 'tag.id', 'tag.name', 'tag.description', 'tag.group_id', 'tag_group.name as group_name'])
      .orderBy('tag_group.name_key')
      .orderBy('tag.name_key');
  /** the tags among `ids`, with group names, ordered by group then tag name (the database's collation) */
  const tagsByIds = async (ids: readonly string[]): Promise<TagWithGroup[]> => {
    if (!ids.length) return [];
    // Past one chunk of ids, the whole catalogue is one ordered read.
    return (ids.length > CHUNK ? orderedTags() : orderedTags().where('tag.id', 'in', ids)).execute();
  };
  return {
    listGroups(): Promise<TagGroupRow[]> {
      return db.selectFrom('tag_group').selectAll().orderBy('name_key').orderBy('id').execute();
    },
    findGroup(id: string): Promise<TagGroupRow | undefined> {
      return db.selectFrom('tag_group').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findGroupByKey(key: string): Promise<TagGroupRow | undefined> {
      return db.selectFrom('tag_group').selectAll().where('name_key', '=', key).executeTakeFirst();
    },
    tagsOfGroups(groupIds: readonly string[]): Promise<TagRow[]> {
      if (!groupIds.length) return Promise.resolve([]);
      return db.selectFrom('tag').selectAll().where('group_id', 'in', groupIds).orderBy('name_key').orderBy('id').execute();
    },
    findTag(id: string): Promise<TagRow | undefined> {
      return db.selectFrom('tag').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async insertGroup(row: TagGroupRow): Promise<void> {
      await db.insertInto('tag_group').values(row).execute();
    },
    async insertTags(rows: readonly TagRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += CHUNK) await db.insertInto('tag').values(rows.slice(i, i + CHUNK)).execute();
    },
    async updateGroup(id: string, patch: Partial<Pick<TagGroupRow, 'name' | 'name_key' | 'description' | 'updated_at'>>): Promise<void> {
      await db.updateTable('tag_group').set(patch).where('id', '=', id).execute();
    },
    async updateTag(id: string, patch: Partial<Pick<TagRow, 'name' | 'name_key' | 'description' | 'updated_at'>>): Promise<void> {
      await db.updateTable('tag').set(patch).where('id', '=', id).execute();
    },
    async touchGroup(id: string, at: number): Promise<void> {
      await db.updateTable('tag_group').set({ updated_at: at }).where('id', '=', id).execute();
    },
    /** links and tags go with the group through ON DELETE CASCADE */
    async deleteGroup(id: string): Promise<void> {
      await db.deleteFrom('tag_group').where('id', '=', id).execute();
    },
    async deleteTag(id: string): Promise<void> {
      await db.deleteFrom('tag').where('id', '=', id).execute();
    },
    /** distinct PVs carrying any tag of the group */
    async pvsUsingGroup(groupId: string): Promise<number> {
      const row = await db
        .selectFrom('pv_tag')
        .innerJoin('tag', 'tag.id', 'pv_tag.tag_id')
        .where('tag.group_id', '=', groupId)
        .select((eb) => eb.fn.count<number>('pv_tag.pv_id').distinct().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** the ids among `ids` that name an existing tag */
    async existingTagIds(ids: readonly string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await db.selectFrom('tag').select('id').where('id', 'in', ids.slice(i, i + CHUNK)).execute();
        for (const row of rows) found.add(row.id);
      }
      return found;
    },
    tagsByIds,
    /**
     * tags linked to each PV, with group names, ordered by group then tag name. The links and the few
     * distinct tags they name are read apart (a join repeats each tag's columns per link and sorts them
     * all).
     */
    async tagsOfPvs(pvIds: readonly string[]): Promise<Map<string, TagWithGroup[]>> {
      const links: { pv_id: string; tag_id: string }[] = [];
      for (let i = 0; i < pvIds.length; i += CHUNK) {
        links.push(...(await db.selectFrom('pv_tag').select(['pv_id', 'tag_id']).where('pv_id', 'in', pvIds.slice(i, i + CHUNK)).execute()));
      }
      const byPv = new Map<string, string[]>();
      for (const link of links) {
        const list = byPv.get(link.pv_id);
        if (list) list.push(link.tag_id);
        else byPv.set(link.pv_id, [link.tag_id]);
      }
      return tagsOf(byPv, await tagsByIds(unique(links.map((link) => link.tag_id))));
    },
    /** tagsOfPvs for every tagged PV in one pass (a snapshot of all PVs) */
    async tagsOfAllPvs(): Promise<Map<string, TagWithGroup[]>> {
      return addTags(new Map(), await pvTagRows().execute());
    },
  };
}

export type TagRepo = ReturnType<typeof createTagRepo>;
