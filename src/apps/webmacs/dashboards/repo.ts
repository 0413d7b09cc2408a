import type { Kysely } from 'kysely';
import type { DashboardWidgetsTable, WebmacsDatabase } from '../db/schema.ts';

export interface DashboardRow {
  id: number;
  public_id: string;
  name: string;
  is_global: boolean | number;
  created_on: number;
  user_id: number;
  user_public_id: string;
}

export interface WidgetRow {
  id: number;
  public_id: string;
  dashboard_id: number;
  widget_type: string;
  title: string;
  event_public_id: string | null;
  x: number;
  y: number;
  w: number;
  h: number;
  config_json: string | null;
}

export type WidgetValues = Omit<DashboardWidgetsTable, 'id'>;

export function dashboardsRepo(db: Kysely<WebmacsDatabase>) {
  const dashboards = () =>
    db.selectFrom('dashboards').innerJoin('users', 'users.id', 'dashboards.user_id').selectAll('dashboards').select('users.public_id as user_public_id');
  const widgets = () =>
    db.selectFrom('dashboard_widgets').leftJoin('events', 'events.id', 'dashboard_widgets.event_id').selectAll('dashboard_widgets').select('events.public_id as event_public_id');

  return {
    findByPublicId(publicId: string): Promise<DashboardRow | undefined> {
      return dashboards().where('dashboards.public_id', '=', publicId).executeTakeFirst() as Promise<DashboardRow | undefined>;
    },
    /** Own and global dashboards, newest first (spec §2.6). */
    async pageVisibleTo(userId: number, limit: number, offset: number): Promise<{ total: number; rows: DashboardRow[] }> {
      const count = db
        .selectFrom('dashboards')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where((eb) => eb.or([eb('user_id', '=', userId), eb('is_global', '=', true)]));
      const rows = dashboards()
        .where((eb) => eb.or([eb('dashboards.user_id', '=', userId), eb('dashboards.is_global', '=', true)]))
        .orderBy('dashboards.created_on', 'desc')
        .orderBy('dashboards.id', 'desc')
        .limit(limit)
        .offset(offset);
      const [total, data] = await Promise.all([count.executeTakeFirstOrThrow(), rows.execute()]);
      return { total: Number(total.n), rows: data as DashboardRow[] };
    },
    async insert(values: { public_id: string; name: string; is_global: boolean; created_on: number; user_id: number }): Promise<void> {
      await db.insertInto('dashboards').values(values).execute();
    },
    async update(id: number, changes: { name?: string; is_global?: boolean }): Promise<void> {
      await db.updateTable('dashboards').set(changes).where('id', '=', id).execute();
    },
    async delete(id: number): Promise<void> {
      await db.deleteFrom('dashboards').where('id', '=', id).execute();
    },
    /** Widgets of the given dashboards, in creation order. */
    async widgetsOf(dashboardIds: number[]): Promise<WidgetRow[]> {
      if (!dashboardIds.length) return [];
      return (await widgets().where('dashboard_widgets.dashboard_id', 'in', dashboardIds).orderBy('dashboard_widgets.id').execute()) as WidgetRow[];
    },
    findWidget(publicId: string): Promise<WidgetRow | undefined> {
      return widgets().where('dashboard_widgets.public_id', '=', publicId).executeTakeFirst() as Promise<WidgetRow | undefined>;
    },
    async insertWidget(values: WidgetValues): Promise<void> {
      await db.insertInto('dashboard_widgets').values(values).execute();
    },
    async updateWidget(id: number, changes: Partial<Omit<WidgetValues, 'public_id' | 'dashboard_id' | 'widget_type'>>): Promise<void> {
      await db.updateTable('dashboard_widgets').set(changes).where('id', '=', id).execute();
    },
    async deleteWidget(id: number): Promise<void> {
      await db.deleteFrom('dashboard_widgets').where('id', '=', id).execute();
    },
    async eventIdOf(publicId: string): Promise<number | undefined> {
      return (await db.selectFrom('events').select('id').where('public_id', '=', publicId).executeTakeFirst())?.id;
    },
  };
}

export type DashboardsRepo = ReturnType<typeof dashboardsRepo>;
