import { PostgresAdapter, sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { SquirrelDb } from '../db/schema.ts';
import { likeContains } from '../format.ts';

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
}

/** the trigram indexes see no term shorter than this; shorter ones are a plain LIKE scan */
const TRIGRAM = 3;
/** trigram matches counted, at most, to call a term rare */
const RARE_TERM_MATCHES = 1000;

/** The substring test that defines a match (spec §3.2): case-insensitive over the five fields. */
function likeSearchText(term: string): Expression<SqlBool> {
  return sql<SqlBool>`pv.search_text like ${likeContains(term)} escape '\\'`;
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
};

const postgresFilters: DialectFilters = {
  /** LIKE on search_text uses the pg_trgm GIN index by itself when the migration could create it */
  indexedTerm: likeSearchText,
  // The planner weighs the trigram and tag indexes from its own statistics.
  termIsRare: async () => false,
  probeTags: (eb, tagIds) =>
    eb.exists(eb.selectFrom('pv_tag').select(sql`1`.as('one')).whereRef('pv_tag.pv_id', '=', 'pv.id').where('pv_tag.tag_id', 'in', nonEmpty(tagIds))),
};

function tagSets(filter: PvFilter): (readonly string[])[] {
  return [...(filter.anyTagIds ? [filter.anyTagIds] : []), ...(filter.tagGroups ?? [])];
}

export function hasConditions(filter: PvFilter): boolean {
  return Boolean(filter.term) || tagSets(filter).length > 0 || filter.devices !== undefined;
}

export function pvFilters(db: Kysely<SquirrelDb>) {
  const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? postgresFilters : sqliteFilters;
  const devices = (eb: Where, filter: PvFilter) => (filter.devices ? [eb('pv.device', 'in', nonEmpty(filter.devices))] : []);
  return {
    probe(eb: Where, filter: PvFilter): Expression<SqlBool> {
      return eb.and([...(filter.term ? [likeSearchText(filter.term)] : []), ...tagSets(filter).map((ids) => dialect.probeTags(eb, ids)), ...devices(eb, filter)]);
    },
    /**
     * The filter for rows after `after`, driven by the indexes: the trigram index for a term alone, the
     * tag index (the links of one tag set) for tags, and for both, whichever is rarer; the other
     * conditions are probed on the rows it yields.
     */
    async indexed(filter: PvFilter, after: string | undefined): Promise<(eb: Where) => Expression<SqlBool>> {
      const sets = tagSets(filter);
      const termDriven = filter.term !== undefined && (sets.length === 0 || (await dialect.termIsRare(db, filter.term)));
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
