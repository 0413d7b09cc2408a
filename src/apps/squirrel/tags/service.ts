import type { AppDatabase } from '../../../core/db/index.ts';
import { uuidv7 } from '../../../core/secrets/index.ts';
import type { SquirrelDb } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { isoTime, isUuid, nameKey } from '../format.ts';
import { createTagRepo, type TagGroupRow, type TagRepo, type TagRow } from './repo.ts';

export interface TagView {
  id: string;
  name: string;
  description: string | null;
}

export interface TagGroupView {
  id: string;
  name: string;
  description: string | null;
  tag_count: number;
  tags: TagView[];
  created_at: string;
  updated_at: string;
}

export interface NewTag {
  name: string;
  description?: string | null;
}

export interface BulkImportResult {
  groups_created: number;
  tags_created: number;
  tags_skipped: number;
  warnings: string[];
}

function groupView(group: TagGroupRow, tags: readonly TagRow[]): TagGroupView {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    tag_count: tags.length,
    tags: tags.map((t) => ({ id: t.id, name: t.name, description: t.description })),
    created_at: isoTime(group.created_at),
    updated_at: isoTime(group.updated_at),
  };
}

function newTagRow(groupId: string, tag: NewTag, at: number): TagRow {
  const name = tag.name.trim();
  return { id: uuidv7(), group_id: groupId, name, name_key: nameKey(name), description: tag.description ?? null, created_at: at, updated_at: at };
}

export function createTagService(database: AppDatabase<SquirrelDb>) {
  const repo = createTagRepo(database.db);

  async function view(repo: TagRepo, id: string): Promise<TagGroupView> {
    const group = await repo.findGroup(id);
    if (!group) throw errors.tagGroupNotFound(id);
    return groupView(group, await repo.tagsOfGroups([id]));
  }

  async function requireGroup(id: string): Promise<TagGroupRow> {
    const group = isUuid(id) ? await repo.findGroup(id) : undefined;
    if (!group) throw errors.tagGroupNotFound(id);
    return group;
  }

  async function requireTagOf(groupId: string, tagId: string): Promise<TagRow> {
    const tag = isUuid(tagId) ? await repo.findTag(tagId) : undefined;
    if (!tag || tag.group_id !== groupId) throw errors.tagNotFound([tagId]);
    return tag;
  }

  /** unique-index races end as the same 409 the pre-check gives */
  async function guardConflict<T>(work: () => Promise<T>, detail: string): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.tagGroupConflict(detail);
      throw err;
    }
  }

  return {
    async list(): Promise<TagGroupView[]> {
      const groups = await repo.listGroups();
      const tags = await repo.tagsOfGroups(groups.map((g) => g.id));
      return groups.map((g) => groupView(g, tags.filter((t) => t.group_id === g.id)));
    },

    async get(id: string): Promise<TagGroupView> {
      await requireGroup(id);
      return view(repo, id);
    },

    async create(input: { name: string; description?: string | null; tags?: NewTag[] }): Promise<TagGroupView> {
      const name = input.name.trim();
      const keys = (input.tags ?? []).map((t) => nameKey(t.name));
      const repeated = keys.find((k, i) => keys.indexOf(k) !== i);
      if (repeated !== undefined) throw errors.tagGroupConflict(`Duplicate tag name in request: '${repeated}'`);
      const conflict = `Tag group '${name}' already exists`;
      if (await repo.findGroupByKey(nameKey(name))) throw errors.tagGroupConflict(conflict);
      const now = Date.now();
      const group: TagGroupRow = { id: uuidv7(), name, name_key: nameKey(name), description: input.description ?? null, created_at: now, updated_at: now };
      return guardConflict(
        () =>
          database.transaction(async (trx) => {
            const txRepo = createTagRepo(trx);
            await txRepo.insertGroup(group);
            await txRepo.insertTags((input.tags ?? []).map((t) => newTagRow(group.id, t, now)));
            return view(txRepo, group.id);
          }),
        conflict,
      );
    },

    async update(id: string, patch: { name?: string; description?: string | null }): Promise<TagGroupView> {
      const group = await requireGroup(id);
      const name = patch.name?.trim();
      const conflict = `Tag group '${name}' already exists`;
      if (name !== undefined) {
        const other = await repo.findGroupByKey(nameKey(name));
        if (other && other.id !== group.id) throw errors.tagGroupConflict(conflict);
      }
      await guardConflict(
        () =>
          repo.updateGroup(id, {
            ...(name !== undefined ? { name, name_key: nameKey(name) } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            updated_at: Date.now(),
          }),
        conflict,
      );
      return view(repo, id);
    },

    /** spec D11: a group whose tags are in use needs force */
    async remove(id: string, force: boolean): Promise<true> {
      const group = await requireGroup(id);
      const inUse = await repo.pvsUsingGroup(group.id);
      if (inUse > 0 && !force) {
        throw errors.tagGroupConflict(`Tag group ${group.name} has tags assigned to ${inUse} PVs; pass ?force=true`);
      }
      await repo.deleteGroup(group.id);
      return true;
    },

    async addTag(groupId: string, tag: NewTag, skipDuplicates: boolean): Promise<{ group: TagGroupView; was_created: boolean }> {
      const group = await requireGroup(groupId);
      const key = nameKey(tag.name);
      const exists = (await repo.tagsOfGroups([group.id])).some((t) => t.name_key === key);
      if (exists) {
        if (!skipDuplicates) throw errors.tagGroupConflict(`Tag '${tag.name.trim()}' already exists in group '${group.name}'`);
        return { group: await view(repo, group.id), was_created: false };
      }
      const now = Date.now();
      await guardConflict(async () => {
        await repo.insertTags([newTagRow(group.id, tag, now)]);
        await repo.touchGroup(group.id, now);
      }, `Tag '${tag.name.trim()}' already exists in group '${group.name}'`);
      return { group: await view(repo, group.id), was_created: true };
    },

    async updateTag(groupId: string, tagId: string, patch: { name?: string; description?: string | null }): Promise<TagGroupView> {
      const group = await requireGroup(groupId);
      const tag = await requireTagOf(group.id, tagId);
      const name = patch.name?.trim();
      const conflict = `Tag '${name}' already exists in group '${group.name}'`;
      if (name !== undefined) {
        const clash = (await repo.tagsOfGroups([group.id])).some((t) => t.name_key === nameKey(name) && t.id !== tag.id);
        if (clash) throw errors.tagGroupConflict(conflict);
      }
      await guardConflict(
        () =>
          repo.updateTag(tag.id, {
            ...(name !== undefined ? { name, name_key: nameKey(name) } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            updated_at: Date.now(),
          }),
        conflict,
      );
      return view(repo, group.id);
    },

    async removeTag(groupId: string, tagId: string): Promise<TagGroupView> {
      const group = await requireGroup(groupId);
      const tag = await requireTagOf(group.id, tagId);
      await repo.deleteTag(tag.id);
      await repo.touchGroup(group.id, Date.now());
      return view(repo, group.id);
    },

    /** spec D29: existing groups and tags match case-insensitively; one transaction */
    async bulkImport(groups: Record<string, string[]>): Promise<BulkImportResult> {
      const result: BulkImportResult = { groups_created: 0, tags_created: 0, tags_skipped: 0, warnings: [] };
      await database.transaction(async (trx) => {
        const txRepo = createTagRepo(trx);
        const now = Date.now();
        for (const [rawGroupName, tagNames] of Object.entries(groups)) {
          const groupName = rawGroupName.trim();
          if (!groupName) {
            result.warnings.push('Skipped a group with a blank name');
            continue;
          }
          let group = await txRepo.findGroupByKey(nameKey(groupName));
          if (!group) {
            group = { id: uuidv7(), name: groupName, name_key: nameKey(groupName), description: null, created_at: now, updated_at: now };
            await txRepo.insertGroup(group);
            result.groups_created += 1;
          }
          const known = new Set((await txRepo.tagsOfGroups([group.id])).map((t) => t.name_key));
          const fresh: TagRow[] = [];
          for (const rawTag of tagNames) {
            const tagName = rawTag.trim();
            if (!tagName) {
              result.warnings.push(`Skipped a blank tag name in group '${group.name}'`);
              continue;
            }
            if (known.has(nameKey(tagName))) {
              result.tags_skipped += 1;
              result.warnings.push(`Tag '${tagName}' already exists in group '${group.name}'`);
              continue;
            }
            known.add(nameKey(tagName));
            fresh.push(newTagRow(group.id, { name: tagName }, now));
          }
          await txRepo.insertTags(fresh);
          result.tags_created += fresh.length;
        }
      });
      return result;
    },
  };
}

export type TagService = ReturnType<typeof createTagService>;
