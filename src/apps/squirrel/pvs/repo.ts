import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { bulkInsert, type BulkColumn } from '../db/bulkInsert.ts';
import type { PvTable, PvTagTable, SquirrelDb } from '../db/schema.ts';
import { hasConditions, pvFilters, type PagePlan, type PvFilter } from './filters.ts';

export type { PvFilter } from './filters.ts';

export type PvRow = PvTable;
/**
 * A PV as views show it: its row without the search text, and its tag ids, comma-separated (UUIDs hold
 * none), null when it has none.
 */
export type PvWithTagIds = Omit<PvRow, 'search_text'> & { tag_ids: string | null };

const CHUNK = 500;

const PV_COLUMNS: readonly BulkColumn<PvRow>[] = [
  { name: 'id', pgType: 'text' },
  { name: 'setpoint_address', pgType: 'text' },
  { name: 'readback_address', pgType: 'text' },
  { name: 'config_address', pgType: 'text' },
  { name: 'device', pgType: 'text' },
  { name: 'description', pgType: 'text' },
  { name: 'abs_tolerance', pgType: 'double precision' },
  { name: 'rel_tolerance', pgType: 'double precision' },
  { name: 'read_only', pgType: 'boolean' },
  { name: 'search_text', pgType: 'text' },
  { name: 'created_by', pgType: 'text' },
  { name: 'last_modified_by', pgType: 'text' },
  { name: 'created_at', pgType: 'bigint' },
  { name: 'updated_at', pgType: 'bigint' },
];

/**
 * What views read of a PV: all but the search text, which only filters use (a read that a reader
 * thread answers crosses to the main thread as JSON, where it would be a third of a row).
 */
const PV_VIEW_COLUMNS = PV_COLUMNS.filter((column) => column.name !== 'search_text').map((column) => `pv.${column.name}` as const);

const PV_TAG_COLUMNS: readonly BulkColumn<PvTagTable>[] = [
  { name: 'pv_id', pgType: 'text' },
  { name: 'tag_id', pgType: 'text' },
];
/**
 * Rows a filtered page walks in id order before it turns to the indexes: common matches are found
 * within it at well under a µs a row, and rare ones cost one window walk more than the indexes alone.
 * Tried at 50k PVs: 1,000 rows made 1-hit terms 2 ms faster, but terms on 2–5 % of the PVs 1.5–3 ms
 * slower, since the trigram index reads their common trigrams' long lists; sizing a second window from
 * the first one's density lost to matches clustered in id order.
 */
const PROBE_WINDOW = 4_000;
/**
 * Links one query of a tag-driven page reads, at most (it stops at its last match before). A window ends
 * at each tag's share of it (filters.linkWindowEnd), so tags of unequal density give a smaller one.
 */
const LINK_WINDOW = 4_000;
/** Links the first query of a tag-driven page reads, at most: a sample that tells how dense the matches are. */
const FIRST_LINK_WINDOW = 1_000;
/**
 * What a walked link costs, in links the intersection reads: the walk probes each link with index seeks,
 * the intersection reads each set's links in index order, sorts and merges them (12.2k links of two sets
 * intersected in 3.8 ms, 5.1k links walked in 19.5 ms).
 */
const WALKED_TO_MERGED_LINK_COST = 12;
/** Below this many expected links, the walk goes on without counting the sets. */
const INTERSECT_MIN_WALK = 2_000;

export function createPvRepo(db: Kysely<SquirrelDb>) {
  const filters = pvFilters(db);
  /**
   * PV rows with their tag ids gathered per row (an index seek each) in the same statement: a page's
   * links read apart cost a second statement with a parameter per PV and a row per link, about twice
   * the time (at 50k PVs, 100 PVs: 175 µs against 90 µs in SQLite alone).
   */
  const withTagIds = () =>
    db
      .selectFrom('pv')
      .select(PV_VIEW_COLUMNS)
      .select((eb) => eb.selectFrom('pv_tag').select(sql<string>`string_agg(pv_tag.tag_id, ',')`.as('ids')).whereRef('pv_tag.pv_id', '=', 'pv.id').as('tag_ids'));
  const rowsOf = (ids: SelectQueryBuilder<SquirrelDb, 'pv', { id: string }> | ReturnType<typeof filters.linkedMatches | typeof filters.intersectedMatches>) =>
    withTagIds().where('pv.id', 'in', ids).orderBy('pv.id').execute();

  /**
   * After a first window of up to FIRST_LINK_WINDOW links held `matched` matches: whether intersecting the
   * tag sets (filters.intersectedMatches) finds the `wanted` rest for less than walking on would. The
   * walk's links are extrapolated from the window's density, taking the window as full (counting it
   * would cost a second merge of the tags' links; with tags of unequal density this overrates the walk,
   * which only tips the choice to the intersection sooner); the intersection reads every set's links,
   * taken as the driver's (the set naming the fewest tags) times the number of sets.
   */
  async function intersectionIsCheaper(plan: Extract<PagePlan, { kind: 'links' }>, after: string | undefined, wanted: number, matched: number): Promise<boolean> {
    const sets = 1 + (plan.rest.tagGroups?.length ?? 0);
    const walkLinks = (wanted * FIRST_LINK_WINDOW) / Math.max(matched, 0.5);
    if (sets < 2 || walkLinks < INTERSECT_MIN_WALK) return false;
    const driverLinks = await filters.linkCount(plan.tagIds, after);
    return sets * driverLinks < WALKED_TO_MERGED_LINK_COST * Math.min(walkLinks, driverLinks);
  }

  /**
   * A page from the links of one tag set (filters.linkedMatches), a window of links at a time: the cost
   * follows the links read up to the last match, not the PVs between matches. When the first window
   * shows matches too sparse for that, and other tag groups narrow the filter, the rest comes from the
   * intersection of the sets instead.
   */
  async function linkedPage(plan: Extract<PagePlan, { kind: 'links' }>, after: string | undefined, limit: number): Promise<PvWithTagIds[]> {
    const found: PvWithTagIds[] = [];
    for (let from = after, window = FIRST_LINK_WINDOW; ; window = LINK_WINDOW) {
      const end = await filters.linkWindowEnd(plan.tagIds, from, window);
      found.push(...(await rowsOf(filters.linkedMatches(plan, from, end, limit - found.length))));
      if (found.length === limit || end === undefined) return found;
      from = end;
      if (window === FIRST_LINK_WINDOW && (await intersectionIsCheaper(plan, from, limit - found.length, found.length))) {
        return [...found, ...(await rowsOf(filters.intersectedMatches(plan, from, limit - found.length)))];
      }
    }
  }

  return {
    findById(id: string): Promise<PvWithTagIds | undefined> {
      return withTagIds().where('pv.id', '=', id).executeTakeFirst();
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
    /** the bulk insert path of spec §7; `postgresBatchSize` rows per statement on Postgres */
    async insertMany(rows: readonly PvRow[], postgresBatchSize: number): Promise<void> {
      await bulkInsert(db, 'pv', PV_COLUMNS, rows, postgresBatchSize);
    },
    async linkTags(links: readonly PvTagTable[], postgresBatchSize: number): Promise<void> {
      await bulkInsert(db, 'pv_tag', PV_TAG_COLUMNS, links, postgresBatchSize);
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
    /**
     * Keyset page in id order (ids are UUIDv7, so creation order); callers ask one row more than they show
     * to learn whether more exist. A filter with tags walks the links of one tag set (unless a rare term
     * lets the trigram index drive); any other filtered page first probes the next PROBE_WINDOW rows one
     * by one, then, if they held too few matches, takes the rest after the window from the indexes.
     */
    async page(filter: PvFilter, after: string | undefined, limit: number): Promise<PvWithTagIds[]> {
      const from = () => withTagIds().$if(after !== undefined, (q) => q.where('pv.id', '>', after!)).orderBy('pv.id');
      if (!hasConditions(filter)) return from().limit(limit).execute();
      const plan = await filters.pagePlan(filter);
      if (plan.kind === 'links') return linkedPage(plan, after, limit);
      if (plan.kind === 'indexed') return from().where(await filters.indexed(filter, after, plan)).limit(limit).execute();
      const windowEnd = await db
        .selectFrom('pv')
        .select('id')
        .$if(after !== undefined, (q) => q.where('id', '>', after!))
        .orderBy('id')
        .limit(1)
        .offset(PROBE_WINDOW - 1)
        .executeTakeFirst();
      // The matches are picked by id first: on SQLite the covering index of migration 20261122_1710
      // then serves the walk, and only the rows shown are read.
      const probed = await rowsOf(
        db
          .selectFrom('pv')
          .select('pv.id')
          .$if(after !== undefined, (q) => q.where('pv.id', '>', after!))
          .where((eb) => filters.probe(eb, filter))
          .$if(windowEnd !== undefined, (q) => q.where('pv.id', '<=', windowEnd!.id))
          .orderBy('pv.id')
          .limit(limit),
      );
      if (probed.length === limit || windowEnd === undefined) return probed;
      const indexed = await filters.indexed(filter, windowEnd.id);
      const rest = await withTagIds()
        .where('pv.id', '>', windowEnd.id)
        .where(indexed)
        .orderBy('pv.id')
        .limit(limit - probed.length)
        .execute();
      return [...probed, ...rest];
    },
    /** ordered by setpoint address with nulls last, then id (spec §3.2 search) */
    async search(filter: PvFilter, limit: number, offset: number): Promise<PvWithTagIds[]> {
      return withTagIds()
        .where(await filters.indexed(filter, undefined))
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
        .where(await filters.indexed(filter, undefined))
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
