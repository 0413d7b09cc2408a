import { errors } from '../errors.ts';
import { newPublicId } from '../ids.ts';
import { isoZ, nowMicros } from '../time.ts';
import type { UserRow } from '../users/repo.ts';
import type { DashboardRow, DashboardsRepo, WidgetRow } from './repo.ts';
import type { DashboardCreateBody, DashboardUpdateBody, WidgetCreateBody, WidgetUpdateBody } from './schemas.ts';

function toWidgetJson(row: WidgetRow) {
  return {
    public_id: row.public_id,
    widget_type: row.widget_type,
    title: row.title,
    event_public_id: row.event_public_id,
    x: row.x,
    y: row.y,
    w: row.w,
    h: row.h,
    config_json: row.config_json,
  };
}

function toDashboardJson(row: DashboardRow, widgets: WidgetRow[]) {
  return {
    public_id: row.public_id,
    name: row.name,
    is_global: Boolean(row.is_global),
    created_on: isoZ(Number(row.created_on)),
    user_public_id: row.user_public_id,
    widgets: widgets.map(toWidgetJson),
  };
}

/**
 * Dashboards are visible to their owner and, when global, to everyone; only the owner may change them or
 * their widgets — admins included in that restriction (seed rule, D21).
 */
export function dashboardsService(repo: DashboardsRepo) {
  async function find(publicId: string): Promise<DashboardRow> {
    const row = await repo.findByPublicId(publicId);
    if (!row) throw errors.notFound('Dashboard', publicId);
    return row;
  }

  async function readable(user: UserRow, publicId: string): Promise<DashboardRow> {
    const row = await find(publicId);
    if (!row.is_global && row.user_id !== user.id) throw errors.notAllowed();
    return row;
  }

  async function owned(user: UserRow, publicId: string): Promise<DashboardRow> {
    const row = await find(publicId);
    if (row.user_id !== user.id) throw errors.notAllowed();
    return row;
  }

  async function render(row: DashboardRow) {
    return toDashboardJson(row, await repo.widgetsOf([row.id]));
  }

  async function eventId(publicId: string | null | undefined): Promise<number | null> {
    if (publicId === null || publicId === undefined) return null;
    const id = await repo.eventIdOf(publicId);
    if (id === undefined) throw errors.eventNotFound();
    return id;
  }

  /** The widget, checked to exist and to belong to this dashboard (spec §3.9). */
  async function widgetOn(dashboard: DashboardRow, widgetPublicId: string): Promise<WidgetRow> {
    const widget = await repo.findWidget(widgetPublicId);
    if (!widget) throw errors.notFound('DashboardWidget', widgetPublicId);
    if (widget.dashboard_id !== dashboard.id) throw errors.widgetNotOnDashboard();
    return widget;
  }

  return {
    async list(user: UserRow, limit: number, offset: number) {
      const { total, rows } = await repo.pageVisibleTo(user.id, limit, offset);
      const widgets = await repo.widgetsOf(rows.map((r) => r.id));
      return { total, data: rows.map((row) => toDashboardJson(row, widgets.filter((w) => w.dashboard_id === row.id))) };
    },
    async get(user: UserRow, publicId: string) {
      return render(await readable(user, publicId));
    },
    async create(user: UserRow, body: DashboardCreateBody) {
      const publicId = newPublicId('dsh');
      await repo.insert({ public_id: publicId, name: body.name, is_global: body.is_global ?? false, created_on: nowMicros(), user_id: user.id });
      return render((await repo.findByPublicId(publicId))!);
    },
    async update(user: UserRow, publicId: string, body: DashboardUpdateBody): Promise<void> {
      const row = await owned(user, publicId);
      if (body.name !== undefined || body.is_global !== undefined) await repo.update(row.id, { name: body.name, is_global: body.is_global });
    },
    async delete(user: UserRow, publicId: string): Promise<void> {
      await repo.delete((await owned(user, publicId)).id);
    },
    async addWidget(user: UserRow, dashboardPublicId: string, body: WidgetCreateBody) {
      const dashboard = await owned(user, dashboardPublicId);
      const publicId = newPublicId('wgt');
      await repo.insertWidget({
        public_id: publicId,
        dashboard_id: dashboard.id,
        widget_type: body.widget_type,
        title: body.title,
        event_id: await eventId(body.event_public_id),
        x: body.x ?? 0,
        y: body.y ?? 0,
        w: body.w ?? 4,
        h: body.h ?? 3,
        config_json: body.config_json ?? null,
      });
      return toWidgetJson((await repo.findWidget(publicId))!);
    },
    /** An explicit `"event_public_id": null` clears the link; an absent one leaves it. */
    async updateWidget(user: UserRow, dashboardPublicId: string, widgetPublicId: string, body: WidgetUpdateBody): Promise<void> {
      const widget = await widgetOn(await owned(user, dashboardPublicId), widgetPublicId);
      const { event_public_id: eventPublicId, ...rest } = body;
      const changes = { ...rest, ...(eventPublicId !== undefined ? { event_id: await eventId(eventPublicId) } : {}) };
      if (Object.keys(changes).length) await repo.updateWidget(widget.id, changes);
    },
    async deleteWidget(user: UserRow, dashboardPublicId: string, widgetPublicId: string): Promise<void> {
      const widget = await widgetOn(await owned(user, dashboardPublicId), widgetPublicId);
      await repo.deleteWidget(widget.id);
    },
  };
}
