/**
 * SLA routes (issue 11):
 * - `GET /v1/conversations/sla` (any staff) and `PUT /v1/conversations/sla` (admins): the org's SLA
 *   settings — first / next response and resolution targets in business minutes, business hours (IANA
 *   zone, weekly periods, holidays; `null` = 24/7), pausing while `pending` / `snoozed`, the warning
 *   threshold and per-priority overrides. A `PUT` replaces them (next `version`, audited as
 *   `sla.update` in the same transaction), then starts the durable `slaSettingsBroadcastWorkflow`,
 *   which signals every running conversation: their due and warning instants move at once.
 * - `GET /v1/conversations/overdue/count`: conversations not closed with a breached target (and
 *   those at risk), optionally `?scope=mine|team`.
 * Both routers are mounted before the conversations router, whose `/:id` would take `sla` / `overdue`.
 */
import type { Router } from 'express';
import { auditActorOf } from '../../db/audit-log';
import type { Db } from '../../db/client';
import { type StoredSlaSettings, countSlaConversations, loadSlaSettings, saveSlaSettings } from '../../db/sla-settings';
import { type CalendarIssue, calendarIssues } from '../../domain/business-time';
import { PRIORITIES } from '../../domain/conversation';
import { effectiveSla } from '../../domain/sla';
import type { ConversationClient } from '../../workflows/conversation/client';
import { SLA_SETTINGS_BROADCAST_WORKFLOW_TYPE, slaSettingsBroadcastWorkflowId } from '../../workflows/sla-settings-broadcast';
import { principalOf } from '../auth';
import { HttpError } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { OverdueCount, OverdueCountQuery, PutSlaSettingsBody, SlaSettingsView } from '../sla-schemas';

/** What the SLA routes need. */
export interface SlaRoutesDeps {
  db: Db;
  /** Starts the settings broadcast after a `PUT`. */
  conversations: Pick<ConversationClient, 'startOnce'>;
}

/** The stored settings as the `SlaSettings` schema. */
function toSlaSettingsView(stored: StoredSlaSettings): SlaSettingsView {
  const s = stored.settings;
  return {
    firstResponseMinutes: s.firstResponseMinutes,
    nextResponseMinutes: s.nextResponseMinutes,
    resolutionMinutes: s.resolutionMinutes ?? null,
    businessHours: s.businessHours,
    pauseWhile: s.pauseWhile,
    warningMinutes: s.warningMinutes,
    priorityOverrides: s.priorityOverrides,
    version: stored.version,
    updatedAt: stored.updatedAt,
  };
}

/**
 * The rules a valid body's shape cannot express: a valid calendar (see `calendarIssues`) and a warning
 * shorter than every target of every priority (else the conversation would be at risk at once).
 */
function slaSettingsIssues(body: PutSlaSettingsBody): CalendarIssue[] {
  const issues: CalendarIssue[] = [];
  if (body.businessHours) {
    for (const i of calendarIssues(body.businessHours)) issues.push({ path: `businessHours.${i.path}`, message: i.message });
  }
  if (body.warningMinutes > 0) {
    const eff = effectiveSla(body);
    for (const priority of PRIORITIES) {
      const t = eff.targets(priority);
      const shortest = Math.min(t.firstResponseMinutes, t.nextResponseMinutes, t.resolutionMinutes ?? Infinity);
      if (body.warningMinutes >= shortest) {
        issues.push({
          path: 'warningMinutes',
          message: `must be less than every target (the shortest for ${priority} is ${shortest} min)`,
        });
        break;
      }
    }
  }
  return issues;
}

/** The routes of `/v1/conversations/sla`. */
export const slaRoutes: RouteDefinition<SlaRoutesDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/sla',
      auth: 'staff',
      operationId: 'getSlaSettings',
      tags: ['conversations'],
      summary: "The org's SLA settings: targets, business hours, pausing, warning and priority overrides (defaults until changed)",
      response: { status: 200, schema: SlaSettingsView, description: 'The settings' },
      errors: [],
    },
    ({ db }) =>
      async (_req, res) => {
        res.json(toSlaSettingsView(await loadSlaSettings(db, principalOf(res).orgId)));
      },
  ),
  /**
   * Replaces the settings: a bad shape → 400 `validation_failed`; an invalid calendar (unknown zone, no
   * periods, a period crossing midnight, overlapping periods, a bad holiday) or a warning not shorter
   * than every target → 422 `invalid_sla_settings` with `details.issues` (`{ path, message }`). Then the
   * broadcast to running conversations starts; if Temporal refuses it → 503 (the settings ARE saved).
   */
  defineRoute(
    {
      method: 'put',
      path: '/v1/conversations/sla',
      auth: 'staff',
      role: 'admin',
      operationId: 'updateSlaSettings',
      tags: ['conversations'],
      summary:
        "Replace the org's SLA settings (admins only; audited). Running conversations get them through a durable broadcast " +
        'and move their due and warning instants; 503 if it could not be started (the settings are saved: repeat the request)',
      request: { body: PutSlaSettingsBody },
      response: { status: 200, schema: SlaSettingsView, description: 'The stored settings' },
      errors: [400, 422],
    },
    ({ db, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = PutSlaSettingsBody.parse(req.body);
        const issues = slaSettingsIssues(body);
        if (issues.length > 0) {
          throw new HttpError(
            422,
            'invalid_sla_settings',
            `The SLA settings are not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            {
              issues,
            },
          );
        }
        const saved = await saveSlaSettings(db, me.orgId, auditActorOf(me), body);
        try {
          await conversations.startOnce(SLA_SETTINGS_BROADCAST_WORKFLOW_TYPE, slaSettingsBroadcastWorkflowId(me.orgId, saved.version), {
            orgId: me.orgId,
          });
        } catch {
          throw new HttpError(
            503,
            'temporarily_unavailable',
            'The SLA settings were saved, but running conversations could not be told yet; repeat the request shortly',
          );
        }
        res.json(toSlaSettingsView(saved));
      },
  ),
];

/** The route of `/v1/conversations/overdue/count`. */
export const overdueCountRoutes: RouteDefinition<Pick<SlaRoutesDeps, 'db'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/overdue/count',
      auth: 'staff',
      operationId: 'countOverdueConversations',
      tags: ['conversations'],
      summary: 'How many conversations (not closed) have a breached SLA target, and how many are at risk (`?scope=mine|team`)',
      request: { query: OverdueCountQuery },
      response: { status: 200, schema: OverdueCount, description: 'The counts' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const q = OverdueCountQuery.parse(req.query);
        res.json(
          await countSlaConversations(db, me.orgId, {
            mineOfStaffId: q.scope === 'mine' ? me.userId : undefined,
            teamOfStaffId: q.scope === 'team' ? me.userId : undefined,
          }),
        );
      },
  ),
];

/** Builds the SLA settings router (mounted under `/v1/conversations/sla`, before the conversations router). */
export function slaRouter(deps: SlaRoutesDeps): Router {
  return routerFor(slaRoutes, deps, { prefix: '/v1/conversations/sla', auth: 'staff' });
}

/** Builds the overdue-count router (mounted under `/v1/conversations/overdue`, before the conversations router). */
export function overdueCountRouter(deps: Pick<SlaRoutesDeps, 'db'>): Router {
  return routerFor(overdueCountRoutes, deps, { prefix: '/v1/conversations/overdue', auth: 'staff' });
}
