import { PostgresAdapter, sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { PvTable, SquirrelDb } from '../db/schema.ts';
import { likeContains } from '../format.ts';

export type PvRow = PvTable;

/** What every PV listing can filter on; all given conditions must hold. */
export interface PvFilter {
  /** case-insensitive substring of the five searchable fields */
  term?: string;
  /** the PV carries any of these tags */
  anyTagIds?: readonly string[];
  /** for each list, the PV carries one of its tags (OR within a group, AND across groups) */
  tagGroups?: readonly (readonly string[])[];
  /** device IN */
  devices?: readonly string[];
}

const CHUNK = 500;
/** the trigram indexes see no term shorter than this; shorter ones are a plain LIKE scan */
const TRIGRAM = 3;

type TermMatch = (term: string) => Expression<SqlBool>;

/** The substring test that defines a match (spec §3.2): case-insensitive over the five fields. */
function likeSearchText(term: string): Expression<SqlBool> {
  return sql<SqlBool>`pv.search_text like ${likeContains(term)} escape '\\'`;
}

/**
 * SQLite: the FTS5 trigram index (migration 20261122_1415) narrows the rows to those holding every
 * trigram of the term in sequence, which LIKE then confirms, so results are exactly the LIKE results.
 */
function sqliteTermMatch(term: string): Expression<SqlBool> {
  const lowered = term.toLowerCase();
  if ([...lowered].length < TRIGRAM) return likeSearchText(term);
  const phrase = `"${lowered.replace(/"/g, '""')}"`;
  return sql<SqlBool>`(pv.rowid in (select rowid from pv_fts where pv_fts match ${phrase}) and ${likeSearchText(term)})`;
}

/** Postgres: LIKE on search_text uses the pg_trgm GIN index by itself when the migration could create it. */
const postgresTermMatch: TermMatch = likeSearchText;

function whereFilter(eb: ExpressionBuilder<SquirrelDb, 'pv'>, filter: PvFilter, termMatch: TermMatch): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  if (filter.term) conditions.push(termMatch(filter.term));
  const tagSets = [...(filter.anyTagIds ? [filter.anyTagIds] : []), ...(filter.tagGroups ?? [])];
  for (const tagIds of tagSets) {
    conditions.push(eb('pv.id', 'in', eb.selectFrom('pv_tag').select('pv_tag.pv_id').where('pv_tag.tag_id', 'in', tagIds.length ? [...tagIds] : [''])));
  }
  if (filter.devices) conditions.push(eb('pv.device', 'in', filter.devices.length ? [...filter.devices] : ['']));
  return eb.and(conditions);
}

export function createPvRepo(db: Kysely<SquirrelDb>) {
  const termMatch = db.getExecutor().adapter instanceof PostgresAdapter ? postgresTermMatch : sqliteTermMatch;
  return {
    findById(id: string): Promise<PvRow | undefined> {
      return db.selectFrom('pv').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async findByIds(ids: readonly string[]): Promise<PvRow[]> {
      const rows: PvRow[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) rows.push(...(await db.selectFrom('pv').selectAll().where('id', 'in', ids.slice(i, i + CHUNK)).execute()));
      return rows;
    },
    /** the setpoint addresses among `addresses` that are already registered */
    async existingSetpoints(addresses: readonly string[]): Promise<string[]> {
      const found: string[] = [];
      for (let i = 0; i < addresses.length; i += CHUNK) {
        const rows = await db.selectFrom('pv').select('setpoint_address').where('setpoint_address', 'in', addresses.slice(i, i + CHUNK)).execute();
        for (const row of rows) if (row.setpoint_address !== null) found.push(row.setpoint_address);
      }
      return found;
    },
    /** one multi-row statement per batch, sized to the dialect's parameter limit */
    async insertMany(rows: readonly PvRow[], maxParameters: number): Promise<void> {
      const batch = Math.max(1, Math.floor(maxParameters / 15));
      for (let i = 0; i < rows.length; i += batch) await db.insertInto('pv').values(rows.slice(i, i + batch)).execute();
    },
    async linkTags(links: readonly { pv_id: string; tag_id: string }[], maxParameters: number): Promise<void> {
      const batch = Math.max(1, Math.floor(maxParameters / 2));
      for (let i = 0; i < links.length; i += batch) await db.insertInto('pv_tag').values(links.slice(i, i + batch)).execute();
    },
    async replaceTags(pvId: string, tagIds: readonly string[]): Promise<void> {
      await db.deleteFrom('pv_tag').where('pv_id', '=', pvId).execute();
      if (tagIds.length) await db.insertInto('pv_tag').values(tagIds.map((tag_id) => ({ pv_id: pvId, tag_id }))).execute();
    },
    async update(id: string, patch: Partial<PvRow>): Promise<void> {
      await db.updateTable('pv').set(patch).where('id', '=', id).execute();
    },
    /** tag links cascade; snapshot values keep their rows with pv_id null (spec D13) */
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('pv').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    /** keyset page in id order (ids are UUIDv7, so creation order); one extra row tells whether more exist */
    page(filter: PvFilter, after: string | undefined, limit: number): Promise<PvRow[]> {
      let query = db.selectFrom('pv').selectAll().where((eb) => whereFilter(eb, filter, termMatch));
      if (after !== undefined) query = query.where('id', '>', after);
      return query.orderBy('id').limit(limit).execute();
    },
    /** ordered by setpoint address with nulls last, then id (spec §3.2 search) */
    search(filter: PvFilter, limit: number, offset: number): Promise<PvRow[]> {
      return db
        .selectFrom('pv')
        .selectAll()
        .where((eb) => whereFilter(eb, filter, termMatch))
        .orderBy(sql`setpoint_address is null`)
        .orderBy('setpoint_address')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute();
    },
    async count(filter: PvFilter): Promise<number> {
      const row = await db
        .selectFrom('pv')
        .where((eb) => whereFilter(eb, filter, termMatch))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async devices(): Promise<string[]> {
      const rows = await db.selectFrom('pv').select('device').distinct().where('device', 'is not', null).orderBy('device').execute();
      return rows.map((r) => r.device as string);
    },
    /** distinct setpoint and readback addresses of every PV: the monitor's address set (spec §4.2) */
    async monitoredAddresses(): Promise<string[]> {
      const rows = await db.selectFrom('pv').select(['setpoint_address', 'readback_address']).execute();
      const addresses = new Set<string>();
      for (const row of rows) {
        if (row.setpoint_address) addresses.add(row.setpoint_address);
        if (row.readback_address) addresses.add(row.readback_address);
      }
      return [...addresses];
    },
    /** which of these names are the setpoint or readback address of some PV */
    async knownAddresses(names: readonly string[]): Promise<Set<string>> {
      const known = new Set<string>();
      for (let i = 0; i < names.length; i += CHUNK) {
        const slice = names.slice(i, i + CHUNK);
        const rows = await db
          .selectFrom('pv')
          .select(['setpoint_address', 'readback_address'])
          .where((eb) => eb.or([eb('setpoint_address', 'in', slice), eb('readback_address', 'in', slice)]))
          .execute();
        for (const row of rows) {
          if (row.setpoint_address) known.add(row.setpoint_address);
          if (row.readback_address) known.add(row.readback_address);
        }
      }
      return known;
    },
    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('pv').select('id').limit(1).executeTakeFirst()) === undefined;
    },
  };
}

export type PvRepo = ReturnType<typeof createPvRepo>;
