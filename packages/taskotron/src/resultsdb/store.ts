import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import { isUniqueViolation, type Database } from '@loopabull/database';
import type { NewResult, StoredResult } from './api.js';
import {
  likePattern,
  type GroupFilter,
  type Paging,
  type ResultFilter,
  type ResultView,
  type TestcaseFilter,
} from './filters.js';
import { newestPerCombination } from './latest.js';
import { RESULTS_OWNER, resultsMigrations, type ResultsTables } from './tables.js';

type K = Kysely<ResultsTables>;
type ResultsQuery = SelectQueryBuilder<ResultsTables, 'taskotron_results', object>;
type Eb = ExpressionBuilder<ResultsTables, 'taskotron_results'>;

/** An ordered query that can be cut into pages. */
interface Pageable<O> {
  limit(n: number): { offset(n: number): { execute(): Promise<O[]> } };
}

/** One page of an ordered query: one row past the page says whether a next page has rows. */
async function pageOf<O>(query: Pageable<O>, paging: Paging): Promise<Page<O>> {
  const rows = await query
    .limit(paging.limit + 1)
    .offset(paging.page * paging.limit)
    .execute();
  return { rows: rows.slice(0, paging.limit), more: rows.length > paging.limit };
}

/**
 * Data rows per INSERT: one statement binds three values a row, and SQLite takes at most 32766
 * (a result with ~11,000 values failed), PostgreSQL and MariaDB 65535.
 */
const DATA_ROWS_PER_INSERT = 1000;
/** Ids or uuids bound in one `in (...)`, well under every dialect's limit (SQLite: 32766). */
const IDS_PER_QUERY = 5000;

/**
 * `read` for each `IDS_PER_QUERY` of `items` in turn, the rows in order: `limit` has no maximum
 * (as ResultsDB), so a page, or the candidates of a query, may hold more than a statement binds.
 */
async function perStatement<T, R>(
  items: readonly T[],
  read: (part: T[]) => Promise<R[]>,
): Promise<R[]> {
  const rows: R[] = [];
  for (let i = 0; i < items.length; i += IDS_PER_QUERY)
    rows.push(...(await read(items.slice(i, i + IDS_PER_QUERY))));
  return rows;
}

export interface Page<T> {
  rows: T[];
  /** Whether a next page has rows. */
  more: boolean;
}

/** A ResultsDB v2.0 store on the shared SQL layer (owner `taskotron`). */
export class ResultsStore {
  private constructor(
    private readonly k: K,
    private readonly dialect: Database['dialect'],
  ) {}

  /** Brings the tables up to date and returns the store. */
  static async open(db: Database): Promise<ResultsStore> {
    await db.migrate(RESULTS_OWNER, resultsMigrations(db.dialect));
    return new ResultsStore(db.kysely.withTables<ResultsTables>(), db.dialect);
  }

  /**
   * Stores a result with its testcase and groups (created or updated on the fly). A testcase
   * this result creates gets `testcaseRefUrl` unless the result gives it one; one that exists
   * keeps its own (the runner's wiki link, as libtaskotron created missing testcases).
   */
  async create(r: NewResult, testcaseRefUrl?: string): Promise<StoredResult> {
    // Another writer may create the testcase or a group in between, and then another of them on
    // the next try: each try that meets one sees it on the next, so one try more than the rows
    // it may create settles every such race (one more only gave concurrent POSTs a 500).
    const tries = 2 + r.groups.length;
    for (let tried = 1; ; tried++) {
      try {
        return await this.createOnce(r, testcaseRefUrl);
      } catch (err) {
        if (!isUniqueViolation(err) || tried >= tries) throw err;
      }
    }
  }

  private async createOnce(r: NewResult, testcaseRefUrl?: string): Promise<StoredResult> {
    const id = await this.k.transaction().execute(async (trx) => {
      await upsert(
        trx,
        'taskotron_testcases',
        'name',
        r.testcase.name,
        { ref_url: r.testcase.ref_url },
        { ref_url: testcaseRefUrl },
      );
      // In one order for every writer, so that two that create the same groups wait on each
      // other rather than deadlock.
      for (const g of [...r.groups].sort((a, b) =>
        a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0,
      ))
        await upsert(trx, 'taskotron_groups', 'uuid', g.uuid, {
          description: g.description,
          ref_url: g.ref_url,
        });
      const row = {
        testcase_name: r.testcase.name,
        outcome: r.outcome,
        note: r.note,
        ref_url: r.ref_url,
        submit_time: r.submit_time,
      };
      const id =
        this.dialect === 'mysql'
          ? Number(
              (await trx.insertInto('taskotron_results').values(row).executeTakeFirstOrThrow())
                .insertId,
            )
          : (
              await trx
                .insertInto('taskotron_results')
                .values(row)
                .returning('id')
                .executeTakeFirstOrThrow()
            ).id;
      const uuids = [...new Set(r.groups.map((g) => g.uuid))];
      if (uuids.length)
        await trx
          .insertInto('taskotron_result_groups')
          .values(uuids.map((group_uuid) => ({ result_id: id, group_uuid })))
          .execute();
      for (let i = 0; i < r.data.length; i += DATA_ROWS_PER_INSERT)
        await trx
          .insertInto('taskotron_result_data')
          .values(
            r.data
              .slice(i, i + DATA_ROWS_PER_INSERT)
              .map(([data_key, data_value]) => ({ result_id: id, data_key, data_value })),
          )
          .execute();
      return id;
    });
    return (await this.byIds([id]))[0]!;
  }

  async get(id: number): Promise<StoredResult | null> {
    return (await this.byIds([id]))[0] ?? null;
  }

  /** Newest first (submit_time, then id), or oldest first with `order` asc. */
  async list(
    filter: ResultFilter,
    paging: Paging,
    order: ResultView['order'] = 'desc',
  ): Promise<Page<StoredResult>> {
    const page = await pageOf(
      this.filtered(filter).select('id').orderBy('submit_time', order).orderBy('id', order),
      paging,
    );
    return { rows: await this.byIds(page.rows.map((r) => r.id)), more: page.more };
  }

  /**
   * The newest result of each testcase among those the filter selects; with `distinctOn` data
   * keys, of each testcase and combination of their values (per arch, say: bodhi#2425). Newest
   * first, or oldest first with `order` asc. One query picks them however many testcases there
   * are (one per testcase took seconds for thousands of them): the newest time of each testcase,
   * then of the results at that time the one of the highest id.
   */
  async latest(
    filter: ResultFilter,
    distinctOn: readonly string[] = [],
    order: ResultView['order'] = 'desc',
  ): Promise<StoredResult[]> {
    const sorted = (rows: StoredResult[]) => (order === 'asc' ? rows.reverse() : rows);
    if (distinctOn.length) return sorted(await this.latestDistinct(filter, distinctOn));
    const newest = this.filtered(filter)
      .select(['testcase_name as tc', (eb) => eb.fn.max('submit_time').as('t')])
      .groupBy('testcase_name')
      .as('newest');
    // The subquery's columns are named apart: the filter's conditions name the results' bare.
    const rows = await this.filtered(filter)
      .innerJoin(newest, (join) =>
        join
          .onRef('newest.tc', '=', 'taskotron_results.testcase_name')
          .onRef('newest.t', '=', 'taskotron_results.submit_time'),
      )
      .select((eb) => eb.fn.max('taskotron_results.id').as('id'))
      .groupBy('taskotron_results.testcase_name')
      .execute();
    return sorted(newestFirst(await this.byIds(rows.map((r) => Number(r.id)))));
  }

  private async latestDistinct(
    filter: ResultFilter,
    keys: readonly string[],
  ): Promise<StoredResult[]> {
    const candidates = (
      await this.filtered(filter).select(['id', 'testcase_name', 'submit_time']).execute()
    ).map((c) => ({ ...c, id: Number(c.id) }));
    // The candidates' data by their ids: asked for by key and the filter's ids in one query,
    // SQLite walked every value of the key (an arch of each of 200,000 results).
    const data = await perStatement(
      candidates.map((c) => c.id),
      (ids) =>
        this.k
          .selectFrom('taskotron_result_data')
          .select(['result_id', 'data_key', 'data_value'])
          .where('result_id', 'in', ids)
          .where('data_key', 'in', keys)
          .execute(),
    );
    const ids = newestPerCombination(
      candidates,
      data.map((d) => ({ ...d, result_id: Number(d.result_id) })),
      keys,
    );
    return newestFirst(await this.byIds(ids));
  }

  /** Creates a group or sets the fields given of the one of that uuid, as ResultsDB does. */
  async saveGroup(g: { uuid: string; description?: string; ref_url?: string }) {
    await this.save('taskotron_groups', 'uuid', g.uuid, {
      description: g.description,
      ref_url: g.ref_url,
    });
    return (await this.group(g.uuid))!;
  }

  /** Creates a testcase or sets the ref_url given of the one of that name, as ResultsDB does. */
  async saveTestcase(t: { name: string; ref_url?: string }) {
    await this.save('taskotron_testcases', 'name', t.name, { ref_url: t.ref_url });
    return (await this.testcase(t.name))!;
  }

  private async save(
    table: 'taskotron_testcases' | 'taskotron_groups',
    keyColumn: 'name' | 'uuid',
    key: string,
    fields: Record<string, string | undefined>,
  ) {
    const save = () =>
      this.k.transaction().execute((trx) => upsert(trx, table, keyColumn, key, fields));
    try {
      await save();
    } catch (err) {
      // Another writer created it in between: once more updates it.
      if (!isUniqueViolation(err)) throw err;
      await save();
    }
  }

  /** Newest first, as ResultsDB lists them. */
  groups(filter: GroupFilter, paging: Paging) {
    const { uuids, descriptions, descriptionsLike: like } = filter;
    let q = this.k.selectFrom('taskotron_groups').select(GROUP);
    if (uuids) q = q.where('uuid', 'in', uuids);
    if (descriptions) q = q.where('description', 'in', descriptions);
    if (like) q = q.where((eb) => eb.or(like.map((p) => this.like(eb.ref('description'), p))));
    return pageOf(q.orderBy('seq', 'desc'), paging);
  }

  group(uuid: string) {
    return this.k
      .selectFrom('taskotron_groups')
      .select(GROUP)
      .where('uuid', '=', uuid)
      .executeTakeFirst();
  }

  /**
   * How many results each of these groups holds (ResultsDB's `results_count`), one indexed
   * count for the whole page; a uuid without results is 0.
   */
  async resultsCounts(uuids: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(uuids.map((uuid) => [uuid, 0]));
    const rows = await perStatement([...counts.keys()], (part) =>
      this.k
        .selectFrom('taskotron_result_groups')
        .select(['group_uuid', (eb) => eb.fn.countAll().as('n')])
        .where('group_uuid', 'in', part)
        .groupBy('group_uuid')
        .execute(),
    );
    for (const r of rows) counts.set(r.group_uuid, Number(r.n));
    return counts;
  }

  testcases(filter: TestcaseFilter, paging: Paging) {
    const { names, namesLike: like } = filter;
    let q = this.k.selectFrom('taskotron_testcases').selectAll();
    if (names) q = q.where('name', 'in', names);
    if (like) q = q.where((eb) => eb.or(like.map((p) => this.like(eb.ref('name'), p))));
    return pageOf(q.orderBy('name'), paging);
  }

  testcase(name: string) {
    return this.k
      .selectFrom('taskotron_testcases')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** LIKE with `\` as its escape character on every dialect (MariaDB's default; said elsewhere). */
  private like(ref: unknown, glob: string) {
    const escape = this.dialect === 'mysql' ? sql`` : sql` escape '\\'`;
    return sql<boolean>`${ref} like ${likePattern(glob)}${escape}`;
  }

  private filtered(f: ResultFilter): ResultsQuery {
    let q: ResultsQuery = this.k.selectFrom('taskotron_results');
    if (f.outcomes) q = q.where('outcome', 'in', f.outcomes);
    const { testcases, testcasesLike } = f;
    // Either list selects, as ResultsDB ORs them.
    if (testcases || testcasesLike)
      q = q.where((eb) =>
        eb.or([
          ...(testcases ? [eb('testcase_name', 'in', testcases)] : []),
          ...(testcasesLike ?? []).map((p) => this.like(eb.ref('testcase_name'), p)),
        ]),
      );
    if (f.since) q = q.where('submit_time', '>=', f.since.start);
    if (f.since?.end) q = q.where('submit_time', '<=', f.since.end);
    const groups = f.groups;
    if (groups)
      q = q.where((eb: Eb) =>
        eb.exists(
          eb
            .selectFrom('taskotron_result_groups as g')
            .select('g.result_id')
            .whereRef('g.result_id', '=', 'taskotron_results.id')
            .where('g.group_uuid', 'in', groups),
        ),
      );
    // One exact data filter (an item, most often) gives the ids to look at, from the index on
    // key and value; the others are checked for those ids alone, by the same index. Each result
    // checked for each filter took 0.6 s for an item among 200,000 results on SQLite; ids from
    // every filter took as long when one was as common as `type=koji_build`.
    const driving = f.data.find((d) => !d.like);
    for (const d of f.data) {
      const matching = (eb: Eb) =>
        eb
          .selectFrom('taskotron_result_data as d')
          .select('d.result_id')
          .where('d.data_key', '=', d.key)
          .where((e) =>
            d.like
              ? e.or(d.values.map((v) => this.like(e.ref('d.data_value'), v)))
              : e('d.data_value', 'in', d.values),
          );
      q =
        d === driving
          ? q.where('id', 'in', matching)
          : q.where((eb: Eb) =>
              eb.exists(matching(eb).whereRef('d.result_id', '=', 'taskotron_results.id')),
            );
    }
    return q;
  }

  /** Full results, in the order of `ids`. */
  private async byIds(ids: number[]): Promise<StoredResult[]> {
    if (ids.length > IDS_PER_QUERY) return perStatement(ids, (part) => this.byIds(part));
    if (!ids.length) return [];
    const [rows, groups, data, testcases] = await Promise.all([
      this.k.selectFrom('taskotron_results').selectAll().where('id', 'in', ids).execute(),
      this.k
        .selectFrom('taskotron_result_groups')
        .selectAll()
        .where('result_id', 'in', ids)
        .execute(),
      this.k
        .selectFrom('taskotron_result_data')
        .select(['result_id', 'data_key', 'data_value'])
        .where('result_id', 'in', ids)
        .orderBy('id')
        .execute(),
      this.k
        .selectFrom('taskotron_testcases')
        .selectAll()
        .where(
          'name',
          'in',
          this.k.selectFrom('taskotron_results').select('testcase_name').where('id', 'in', ids),
        )
        .execute(),
    ]);
    const refUrl = new Map(testcases.map((t) => [t.name, t.ref_url]));
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    // Each result's data and groups in one pass: a page may hold thousands of results.
    const values = new Map<number, Map<string, string[]>>();
    for (const d of data) {
      const of = values.get(Number(d.result_id)) ?? new Map<string, string[]>();
      values.set(Number(d.result_id), of);
      const list = of.get(d.data_key) ?? [];
      of.set(d.data_key, list);
      list.push(d.data_value);
    }
    const uuids = new Map<number, string[]>();
    for (const g of groups) {
      const list = uuids.get(Number(g.result_id)) ?? [];
      uuids.set(Number(g.result_id), list);
      list.push(g.group_uuid);
    }
    return ids.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return [];
      return [
        {
          id,
          testcase: { name: r.testcase_name, ref_url: refUrl.get(r.testcase_name) ?? null },
          groups: (uuids.get(id) ?? []).sort(),
          outcome: r.outcome,
          note: r.note,
          ref_url: r.ref_url,
          submit_time: r.submit_time,
          data: Object.fromEntries(values.get(id) ?? []),
        },
      ];
    });
  }
}

/** What a group is to the API; its `seq` only orders the list. */
const GROUP = ['uuid', 'description', 'ref_url'] as const;

/**
 * Newest first (submit_time, then id), as ResultsDB lists "latest": its query is ordered by
 * `desc(submit_time)`, and its `_distinct_on` answer sorted so.
 */
const newestFirst = (results: StoredResult[]): StoredResult[] =>
  results.sort((a, b) =>
    a.submit_time === b.submit_time ? b.id - a.id : a.submit_time < b.submit_time ? 1 : -1,
  );

/**
 * Inserts the row, or updates the fields given (undefined ones are kept); `whenNew` are fields
 * of an inserted row only, behind those given.
 */
async function upsert(
  trx: K,
  table: 'taskotron_testcases' | 'taskotron_groups',
  keyColumn: 'name' | 'uuid',
  key: string,
  fields: Record<string, string | null | undefined>,
  whenNew: Record<string, string | undefined> = {},
): Promise<void> {
  const defined = (f: Record<string, string | null | undefined>) =>
    Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
  const given = defined(fields);
  const t = trx as unknown as Kysely<Record<string, Record<string, string | null>>>;
  const found = await t
    .selectFrom(table)
    .select(keyColumn)
    .where(keyColumn, '=', key)
    .executeTakeFirst();
  if (!found)
    await t
      .insertInto(table)
      .values({ [keyColumn]: key, ...defined(whenNew), ...given })
      .execute();
  else if (Object.keys(given).length)
    await t.updateTable(table).set(given).where(keyColumn, '=', key).execute();
}
