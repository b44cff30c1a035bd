import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import type { SubgraphContext } from '../shared/context.ts';
import { canSeeUser, isOperator, requireOperator, requireUser } from '../shared/context.ts';
import { badInput, forbidden } from '../../lib/errors.ts';
import { operatorSafeError } from '../shared/deadLetters.ts';
import { pageSize } from '../shared/paging.ts';
import type { Activity, EventStore, NewEvent } from './store.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { dailyActiveUsers, eventCounts, funnel, retention } from './reports.ts';

type Ctx = SubgraphContext<{ store: EventStore }>;

export const MAX_EVENTS_PER_CALL = 1000;
const MAX_AGE_MS = 5 * 24 * 3600_000; // Mixpanel /track accepts events up to 5 days old
const MAX_FUTURE_MS = 3600_000;
const MAX_PROPERTIES_BYTES = 32 * 1024;

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.NULL:
      return null;
    default:
      throw badInput('variables are not supported inside JSON literals');
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Arbitrary JSON value',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literalToJson,
});

interface EventInput {
  name: string;
  insertId: string;
  properties?: unknown;
  timestamp?: string | null;
}

function validate(input: EventInput, index: number, now: number): NewEvent {
  const at = `events[${index}]`;
  const name = input.name.trim();
  if (name.length < 1 || name.length > 255) throw badInput(`${at}.name must be 1-255 characters`, `${at}.name`);
  if (!/^[A-Za-z0-9-]{1,36}$/.test(input.insertId))
    throw badInput(`${at}.insertId must be 1-36 letters, digits or dashes (what Mixpanel accepts as $insert_id)`, `${at}.insertId`);
  const properties = input.properties ?? {};
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties))
    throw badInput(`${at}.properties must be a JSON object`, `${at}.properties`);
  if (JSON.stringify(properties).length > MAX_PROPERTIES_BYTES) throw badInput(`${at}.properties is larger than 32 KB`, `${at}.properties`);
  let occurredAt = new Date(now);
  if (input.timestamp) {
    const t = Date.parse(input.timestamp);
    if (Number.isNaN(t)) throw badInput(`${at}.timestamp is not an ISO-8601 date`, `${at}.timestamp`);
    if (t < now - MAX_AGE_MS) throw badInput(`${at}.timestamp is more than 5 days old`, `${at}.timestamp`);
    if (t > now + MAX_FUTURE_MS) throw badInput(`${at}.timestamp is in the future`, `${at}.timestamp`);
    occurredAt = new Date(t);
  }
  return { insertId: input.insertId, name, properties: properties as Record<string, unknown>, occurredAt };
}

function activityLoader(ctx: Ctx) {
  return ctx.loaders.get<string, Activity>('analytics.activity', async (userIds) => {
    const byUser = await ctx.services.store.activity(userIds);
    return userIds.map((id) => byUser.get(id) ?? { firstSeenAt: null, lastSeenAt: null, eventCount: 0 });
  });
}

const MAX_WINDOW_DAYS = 366;

function window(from?: string | null, to?: string | null): { from: Date; to: Date } {
  const end = to ? new Date(to) : new Date();
  const start = from ? new Date(from) : new Date(end.getTime() - 30 * 24 * 3600_000);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw badInput('`from`/`to` must be ISO-8601 dates');
  if (start > end) throw badInput('`from` must be before `to`');
  if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * 24 * 3600_000)
    throw badInput(`a report covers at most ${MAX_WINDOW_DAYS} days`, 'from');
  return { from: start, to: end };
}

const MAX_EVENT_COUNT_DAYS = 90;

export const analyticsResolvers: Resolvers<Ctx> = {
  JSON: JSONScalar,
  Mutation: {
    async trackEvents(_: unknown, args: { events: EventInput[] }, ctx: Ctx) {
      const userId = requireUser(ctx);
      if (args.events.length > MAX_EVENTS_PER_CALL) throw badInput(`at most ${MAX_EVENTS_PER_CALL} events per call`, 'events');
      const now = Date.now();
      const valid = args.events.map((e, i) => validate(e, i, now));
      // Repeats inside one batch are duplicates too; keep the first.
      const firstById = new Map<string, NewEvent>();
      for (const e of valid) if (!firstById.has(e.insertId)) firstById.set(e.insertId, e);
      const accepted = await ctx.services.store.append(userId, [...firstById.values()]);
      return { accepted, duplicates: valid.length - accepted };
    },
    async deleteMyAnalyticsData(_: unknown, __: unknown, ctx: Ctx) {
      const userId = requireUser(ctx);
      const { deletedEvents, sinks } = await ctx.services.store.deleteUser(userId);
      ctx.log.info({ userId, deletedEvents }, 'analytics data deleted, destinations queued');
      return { deletedEvents, queuedAt: sinks };
    },
  },
  Query: {
    async eventCounts(_: unknown, args: { from?: string | null; to?: string | null }, ctx: Ctx) {
      // The gateway lets partner keys through only with the analytics:read scope; Mini App users need the operator role.
      if (ctx.identity.audience !== 'partner' && !isOperator(ctx))
        throw forbidden('Operators and partner keys with the analytics:read scope only');
      const span = window(args.from, args.to);
      if (span.to.getTime() - span.from.getTime() > MAX_EVENT_COUNT_DAYS * 24 * 3600_000)
        throw badInput(`at most ${MAX_EVENT_COUNT_DAYS} days per query`, 'from');
      return eventCounts(ctx.services.store.db, span);
    },
    async analyticsDeadLetters(_: unknown, args: { first?: number | null }, ctx: Ctx) {
      requireOperator(ctx);
      const rows = await ctx.services.store.deadLetters(pageSize(args.first));
      return rows.map((r) => ({ ...r, lastError: operatorSafeError(r.lastError) }));
    },
    async funnel(_: unknown, args: { steps: string[]; from?: string | null; to?: string | null }, ctx: Ctx) {
      requireOperator(ctx);
      if (args.steps.length < 2 || args.steps.length > 10) throw badInput('a funnel has 2-10 steps', 'steps');
      return { steps: await funnel(ctx.services.store.db, args.steps, window(args.from, args.to)) };
    },
    async retention(_: unknown, args: { days?: number | null; from?: string | null; to?: string | null }, ctx: Ctx) {
      requireOperator(ctx);
      const days = args.days ?? 7;
      if (!Number.isInteger(days) || days < 1 || days > 90) throw badInput('`days` must be 1-90', 'days');
      return retention(ctx.services.store.db, days, window(args.from, args.to));
    },
    async dailyActiveUsers(_: unknown, args: { from?: string | null; to?: string | null }, ctx: Ctx) {
      requireOperator(ctx);
      return dailyActiveUsers(ctx.services.store.db, window(args.from, args.to));
    },
  },
  User: {
    async activity(user: { id: string }, _: unknown, ctx: Ctx) {
      if (!canSeeUser(ctx, user.id)) throw forbidden("Only the user themself or an operator can read a user's activity");
      return activityLoader(ctx).load(user.id);
    },
  },
};
