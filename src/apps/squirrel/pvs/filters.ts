import { PostgresAdapter, sql, type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { SquirrelDb } from '../db/schema.ts';
import { likeContains, unique } from '../format.ts';

/*
 * The SQL of PV filters, for pvs/repo.ts. Each filter has two forms that select the same rows:
 * `probe` tests one row at a time (cheap while walking rows in id order, when matches are common), and
 * `indexed` starts from the trigram and tag indexes (cheap when matches are rare).
 */

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

type Where = ExpressionBuilder<SquirrelDb, 'pv'>;

interface DialectFilters {
  /** term matches, driven by the trigram index */
  indexedTerm(term: string): Expression<SqlBool>;
  /** whether the term has so few matches that its index, not the tag index, should drive a query with both */
  termIsRare(db: Kysely<SquirrelDb>, term: string): Promise<boolean>;
  /** the PV carries one of these tags, checked against its own (few) links */
  probeTags(eb: Where, tagIds: readonly string[]): Expression<SqlBool>;
  /** probeTags for a PV known only by its id */
  linkedTo(pvId: RawBuilder<string>, tagIds: readonly string[]): Expression<SqlBool>;
  /** the PV of this id matches the term */
  idMatches(pvId: RawBuilder<string>, term: string): Expression<SqlBool>;
}

/** the trigram indexes see no term shorter than this; shorter ones are a plain LIKE scan */
const TRIGRAM = 3;
/** trigram matches counted, at most, to call a term rare */
const RARE_TERM_MATCHES = 1000;

/** The substring test that defines a match (spec §3.2): case-insensitive over the five fields. */
function likeSearchText(term: string, searchText: RawBuilder<string> = sql.ref('pv.search_text')): Expression<SqlBool> {
  return sql<SqlBool>`${searchText} like ${likeContains(term)} escape '\\'`;
}

const nonEmpty = (ids: readonly string[]): string[] => (ids.length ? [...ids] : ['']);

/** the term as an FTS5 phrase (every trigram, in sequence), or undefined when it is too short for the index */
function ftsPhrase(term: string): string | undefined {
  const lowered = term.toLowerCase();
  return [...lowered].length < TRIGRAM ? undefined : `"${lowered.replace(/"/g, '""')}"`;
}

const sqliteFilters: DialectFilters = {
  /**
   * The FTS5 trigram index (migration 20261122_1415) narrows the rows to those holding every trigram of
   * the term in sequence, which LIKE then confirms, so results are exactly the LIKE results.
   */
  indexedTerm(term) {
    const phrase = ftsPhrase(term);
    if (phrase === undefined) return likeSearchText(term);
    return sql<SqlBool>`(pv.rowid in (select rowid from pv_fts where pv_fts match ${phrase}) and ${likeSearchText(term)})`;
  },
  async termIsRare(db, term) {
    const phrase = ftsPhrase(term);
    if (phrase === undefined) return false;
    const { rows } = await sql<{ n: number }>`select count(*) as n from (select rowid from pv_fts where pv_fts match ${phrase} limit ${RARE_TERM_MATCHES})`.execute(db);
    return Number(rows[0]?.n) < RARE_TERM_MATCHES;
  },
  // `+tag_id` keeps SQLite from seeking once per listed tag: one seek on pv_id reads the PV's few links.
  probeTags: (eb, tagIds) =>
    eb.exists(eb.selectFrom('pv_tag').select(sql`1`.as('one')).whereRef('pv_tag.pv_id', '=', 'pv.id').where(sql<SqlBool>`+pv_tag.tag_id in (${sql.join(nonEmpty(tagIds))})`)),
  linkedTo: (pvId, tagIds) => sql<SqlBool>`exists (select 1 from pv_tag as l where l.pv_id = ${pvId} and +l.tag_id in (${sql.join(nonEmpty(tagIds))}))`,
  // Left to itself SQLite seeks the id's unique index and reads the row; the covering index (migration
  // 20261122_1710) answers from the index alone.
  idMatches: (pvId, term) =>
    sql<SqlBool>`exists (select 1 from pv as m indexed by pv_id_search_text_idx where m.id = ${pvId} and ${likeSearchText(term, sql.ref('m.search_text'))})`,
};

const postgresFilters: DialectFilters = {
  /** LIKE on search_text uses the pg_trgm GIN index by itself when the migration could create it */
  indexedTerm: likeSearchText,
  // The planner weighs the trigram and tag indexes from its own statistics.
  termIsRare: async () => false,
  probeTags: (eb, tagIds) =>
    eb.exists(eb.selectFrom('pv_tag').select(sql`1`.as('one')).whereRef('pv_tag.pv_id', '=', 'pv.id').where('pv_tag.tag_id', 'in', nonEmpty(tagIds))),
  linkedTo: (pvId, tagIds) => sql<SqlBool>`exists (select 1 from pv_tag as l where l.pv_id = ${pvId} and l.tag_id in (${sql.join(nonEmpty(tagIds))}))`,
  idMatches: (pvId, term) => sql<SqlBool>`exists (select 1 from pv as m where m.id = ${pvId} and ${likeSearchText(term, sql.ref('m.search_text'))})`,
};

function tagSets(filter: PvFilter): (readonly string[])[] {
  return [...(filter.anyTagIds ? [filter.anyTagIds] : []), ...(filter.tagGroups ?? [])];
}

export function hasConditions(filter: PvFilter): boolean {
  return Boolean(filter.term) || tagSets(filter).length > 0 || filter.devices !== undefined;
}

/**
 * A tag set small enough to merge its tags' index ranges: SQLite allows 500 arms in a compound select,
 * and a set this large is no longer rare enough for the merge to beat a walk in id order.
 */
const MERGED_TAGS = 32;

/** a LIMIT that keeps every row, on both dialects */
const UNLIMITED = 2 ** 31 - 1;

/** How a keyset page finds its rows. */
export type PagePlan =
  /** walk the links of one tag set in id order, probing each PV for the rest of the filter */
  | { kind: 'links'; tagIds: string[]; rest: PvFilter }
  /** the indexes alone: a rare term's trigram matches, probed for the rest */
  | { kind: 'indexed' }
  /** walk the PVs in id order, then turn to the indexes */
  | { kind: 'walk' };

export function pvFilters(db: Kysely<SquirrelDb>) {
  const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? postgresFilters : sqliteFilters;
  const devices = (eb: Where, filter: PvFilter) => (filter.devices ? [eb('pv.device', 'in', nonEmpty(filter.devices))] : []);
  /** one tag's links after `after`, in its index range */
  const linksOf = (tagId: string, after: string | undefined) =>
    db.selectFrom('pv_tag').select('pv_id').where('tag_id', '=', tagId).$if(after !== undefined, (q) => q.where('pv_id', '>', after!));
  /** the ids linked to any of the tags after `after`, up to `end` when given: a compound select, one arm per tag */
  const linked = (tagIds: readonly string[], after: string | undefined, end: string | undefined) => {
    const arms = tagIds.map((tagId) => linksOf(tagId, after).$if(end !== undefined, (q) => q.where('pv_id', '<=', end!)));
    return arms.slice(1).reduce((query, arm) => query.union(arm), arms[0]!);
  };
  /** the term and tag conditions tested on a PV known only by its id */
  const probesOf = (filter: PvFilter, pvId: RawBuilder<string>): Expression<SqlBool>[] => [
    ...(filter.term ? [dialect.idMatches(pvId, filter.term)] : []),
    ...tagSets(filter).map((ids) => dialect.linkedTo(pvId, ids)),
  ];
  return {
    probe(eb: Where, filter: PvFilter): Expression<SqlBool> {
      return eb.and([...(filter.term ? [likeSearchText(filter.term)] : []), ...tagSets(filter).map((ids) => dialect.probeTags(eb, ids)), ...devices(eb, filter)]);
    },
    /**
     * A filter with tags walks the links of the set naming the fewest tags (likely the fewest links),
     * unless its term is rare, when the trigram index drives.
     */
    async pagePlan(filter: PvFilter): Promise<PagePlan> {
      const sets = tagSets(filter);
      if (!sets.length || filter.devices !== undefined) return { kind: 'walk' };
      if (filter.term !== undefined && (await dialect.termIsRare(db, filter.term))) return { kind: 'indexed' };
      const [driver, ...others] = [...sets].sort((a, b) => a.length - b.length);
      const tagIds = unique(nonEmpty(driver!));
      if (tagIds.length > MERGED_TAGS) return { kind: 'walk' };
      return { kind: 'links', tagIds, rest: { ...(filter.term !== undefined ? { term: filter.term } : {}), tagGroups: others } };
    },
    /**
     * Ids of the PVs after `after`, up to `end` when given, carrying any of `tagIds`, in id order, that
     * also pass `rest`; at most `limit`. Each tag's links are one ordered range of pv_tag_tag_idx; the
     * compound select merges them as it reads and the outer query stops at its limit, so only the links
     * up to the last match are read. `rest` is probed on the ids alone (pv_tag, and the covering index of
     * migration 20261122_1710 for a term), so no PV row is read for a miss.
     */
    linkedMatches(plan: Extract<PagePlan, { kind: 'links' }>, after: string | undefined, end: string | undefined, limit: number) {
      // The no-op limit keeps the merge ordered (see intersectedMatches).
      const candidates = linked(plan.tagIds, after, end).orderBy('pv_id').limit(UNLIMITED).as('c');
      const candidateId = sql.ref<string>('c.pv_id');
      return db
        .selectFrom(candidates)
        .select('c.pv_id')
        .where((eb) => eb.and(probesOf(plan.rest, candidateId)))
        .orderBy('c.pv_id')
        .limit(limit);
    },
    /**
     * linkedMatches for a plan with other tag groups, from the intersection of every set's links instead:
     * each set's links after `after` are read and sorted once and merged, and only PVs in all of them are
     * probed for the term. It reads every link of every set, so it wins only when the driver's links hold
     * few matches (linkedPage decides from a first window).
     */
    intersectedMatches(plan: Extract<PagePlan, { kind: 'links' }>, after: string | undefined, limit: number) {
      const [first, ...rest] = [plan.tagIds, ...(plan.rest.tagGroups ?? [])].map((tagIds) =>
        db.selectFrom('pv_tag').select('pv_id').where('tag_id', 'in', nonEmpty(tagIds)).$if(after !== undefined, (q) => q.where('pv_id', '>', after!)),
      );
      // Ordered, the compound is a merge of the sorted arms instead of a temp b-tree per arm (6 vs 14 ms
      // for 12k links). The no-op limit keeps SQLite from dropping that ORDER BY as redundant with the
      // outer one, which it does to a subquery without a limit.
      const common = rest
        .reduce((query, arm) => query.intersect(arm), first!)
        .orderBy('pv_id')
        .limit(UNLIMITED)
        .as('c');
      const candidateId = sql.ref<string>('c.pv_id');
      return db
        .selectFrom(common)
        .select('c.pv_id')
        .where((eb) => eb.and(plan.rest.term ? [dialect.idMatches(candidateId, plan.rest.term)] : []))
        .orderBy('c.pv_id')
        .limit(limit);
    },
    /** how many links the tags have after `after` (a count over the tag index, no PV read) */
    async linkCount(tagIds: readonly string[], after: string | undefined): Promise<number> {
      const row = await db
        .selectFrom('pv_tag')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tag_id', 'in', nonEmpty(tagIds))
        .$if(after !== undefined, (q) => q.where('pv_id', '>', after!))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /**
     * The end of a window of about `window` links after `after` among the tags' links: the smallest of
     * each tag's (window / tags)-th link, so no tag has more than its share in the window. Each tag's
     * offset is a walk of its own index range; counting the window in id order instead would merge and
     * dedupe the tags' links, ten times the cost. Undefined when every tag has fewer links left than its
     * share: the rest is the last window.
     */
    async linkWindowEnd(tagIds: readonly string[], after: string | undefined, window: number): Promise<string | undefined> {
      const share = Math.ceil(window / tagIds.length);
      const ends = tagIds.map((tagId) => linksOf(tagId, after).orderBy('pv_id').limit(1).offset(share - 1));
      // min() over the rows skips the tags with no such link (null), on both dialects
      const { rows } = await sql<{ end: string | null }>`select min(e) as ${sql.ref('end')} from (${sql.join(
        ends.map((end) => sql`select (${end}) as e`),
        sql` union all `,
      )}) as ends`.execute(db);
      return rows[0]?.end ?? undefined;
    },
    /**
     * The filter for rows after `after`, driven by the indexes: the trigram index for a term alone, the
     * tag index (the links of one tag set) for tags, and for both, whichever is rarer; the other
     * conditions are probed on the rows it yields. `plan`, when pagePlan gave it, saves asking again.
     */
    async indexed(filter: PvFilter, after: string | undefined, plan?: PagePlan): Promise<(eb: Where) => Expression<SqlBool>> {
      const sets = tagSets(filter);
      const termDriven = filter.term !== undefined && (sets.length === 0 || plan?.kind === 'indexed' || (await dialect.termIsRare(db, filter.term)));
      return (eb) => {
        const conditions: Expression<SqlBool>[] = devices(eb, filter);
        if (filter.term) conditions.push(termDriven ? dialect.indexedTerm(filter.term) : likeSearchText(filter.term));
        if (termDriven || !sets.length) {
          conditions.push(...sets.map((ids) => dialect.probeTags(eb, ids)));
        } else {
          // The set naming the fewest tags drives (likely the fewest links); the others are probed.
          const [driver, ...others] = [...sets].sort((a, b) => a.length - b.length);
          const linked = eb.selectFrom('pv_tag').select('pv_tag.pv_id').where('pv_tag.tag_id', 'in', nonEmpty(driver!));
          conditions.push(eb('pv.id', 'in', after === undefined ? linked : linked.where('pv_tag.pv_id', '>', after)));
          conditions.push(...others.map((ids) => dialect.probeTags(eb, ids)));
        }
        return eb.and(conditions);
      };
    },
  };
}
