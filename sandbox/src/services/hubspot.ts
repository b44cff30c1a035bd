/**
 * HubSpot CRM emulator (EXTERNAL-APIS.md §6): v3 objects (contacts, tickets, notes) with the
 * SimplePublicObject shape, cursor paging, batch read with idProperty, search, associations v4,
 * the `{status:'error', category, ...}` error shape and X-HubSpot-RateLimit-* headers.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { SEED_CONTACTS, SEED_TICKETS } from '../seed.ts';
import { bearerToken, isRecord, jsonReply, parseJson, type Reply, type Service, type ServiceRequest } from '../http.ts';

type ObjectType = 'contacts' | 'tickets' | 'notes';

export interface CrmRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

interface AssociationLink {
  fromType: ObjectType;
  fromId: string;
  toType: ObjectType;
  toId: string;
  typeId: number;
  category: string;
}

export interface HubspotState {
  objects: Record<ObjectType, Map<string, CrmRecord>>;
  nextId: Record<ObjectType, number>;
  /** Both directions are stored, as HubSpot reports an association from either side. */
  associations: AssociationLink[];
  /** Request times in the rolling 10 s window and today's count, for the rate-limit headers. */
  recentRequests: number[];
  dailyRequests: number;
}

// ---------------------------------------------------------------------------------------------
// Object type metadata

interface TypeInfo {
  typeId: string;
  singular: string;
  /** Properties clients may write. */
  writable: readonly string[];
  /** Always present on reads. */
  always: readonly string[];
  /** Returned when the request names no properties. */
  defaults: readonly string[];
  /** Properties usable as idProperty (unique values). */
  unique: readonly string[];
  /** Properties the free-text `query` of search looks at. */
  searchable: readonly string[];
  modifiedProperty: string;
  createdProperty: string;
}

const TYPES: Record<ObjectType, TypeInfo> = {
  contacts: {
    typeId: '0-1',
    singular: 'contact',
    writable: [
      'email',
      'firstname',
      'lastname',
      'phone',
      'lifecyclestage',
      'telegram_user_id',
      'tma_tags',
      'company',
      'website',
      'city',
      'country',
      'jobtitle',
      'hs_language',
      'tma_marketing_consent',
    ],
    always: ['hs_object_id', 'createdate', 'lastmodifieddate'],
    defaults: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
    unique: ['hs_object_id', 'email', 'telegram_user_id'],
    searchable: ['email', 'firstname', 'lastname', 'phone', 'company'],
    modifiedProperty: 'lastmodifieddate',
    createdProperty: 'createdate',
  },
  tickets: {
    typeId: '0-5',
    singular: 'ticket',
    writable: [
      'subject',
      'content',
      'hs_pipeline',
      'hs_pipeline_stage',
      'hs_ticket_priority',
      'hs_ticket_category',
      'telegram_user_id',
      'createdate',
      'hubspot_owner_id',
    ],
    always: ['hs_object_id', 'createdate', 'hs_lastmodifieddate'],
    defaults: [
      'content',
      'createdate',
      'hs_lastmodifieddate',
      'hs_object_id',
      'hs_pipeline',
      'hs_pipeline_stage',
      'hs_ticket_category',
      'hs_ticket_priority',
      'subject',
    ],
    unique: ['hs_object_id'],
    searchable: ['subject', 'content'],
    modifiedProperty: 'hs_lastmodifieddate',
    createdProperty: 'createdate',
  },
  notes: {
    typeId: '0-46',
    singular: 'note',
    writable: ['hs_timestamp', 'hs_note_body', 'hubspot_owner_id', 'hs_attachment_ids'],
    always: ['hs_object_id', 'hs_createdate', 'hs_lastmodifieddate'],
    defaults: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    unique: ['hs_object_id'],
    searchable: ['hs_note_body'],
    modifiedProperty: 'hs_lastmodifieddate',
    createdProperty: 'hs_createdate',
  },
};

const DATE_PROPERTIES = new Set(['createdate', 'lastmodifieddate', 'hs_lastmodifieddate', 'hs_createdate', 'hs_timestamp']);

const OPTIONS: Record<string, readonly string[]> = {
  lifecyclestage: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'],
  hs_pipeline: ['0'],
  hs_pipeline_stage: ['1', '2', '3', '4'],
  hs_ticket_priority: ['LOW', 'MEDIUM', 'HIGH', 'URGENT'],
};

/** HUBSPOT_DEFINED default association type ids, keyed `from->to`. */
const ASSOCIATION_TYPE_IDS: Record<string, number> = {
  'contacts->tickets': 15,
  'tickets->contacts': 16,
  'contacts->notes': 201,
  'notes->contacts': 202,
  'tickets->notes': 227,
  'notes->tickets': 228,
};

function parseObjectType(raw: string): ObjectType | undefined {
  const lower = raw.toLowerCase();
  for (const [name, info] of Object.entries(TYPES) as Array<[ObjectType, TypeInfo]>) {
    if (lower === name || lower === info.singular || lower === info.typeId) return name;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// State

export function createHubspotState(): HubspotState {
  const state: HubspotState = {
    objects: { contacts: new Map(), tickets: new Map(), notes: new Map() },
    nextId: { contacts: 1001 + SEED_CONTACTS.length, tickets: 5001 + SEED_TICKETS.length, notes: 9001 },
    associations: [],
    recentRequests: [],
    dailyRequests: 0,
  };
  for (const seed of SEED_CONTACTS) {
    state.objects.contacts.set(seed.id, {
      id: seed.id,
      properties: { ...seed.properties, hs_object_id: seed.id, createdate: seed.createdAt, lastmodifieddate: seed.createdAt },
      createdAt: seed.createdAt,
      updatedAt: seed.createdAt,
      archived: false,
    });
  }
  for (const seed of SEED_TICKETS) {
    state.objects.tickets.set(seed.id, {
      id: seed.id,
      properties: { ...seed.properties, hs_object_id: seed.id, hs_lastmodifieddate: seed.createdAt },
      createdAt: seed.createdAt,
      updatedAt: seed.createdAt,
      archived: false,
    });
    associate(state, 'tickets', seed.id, 'contacts', seed.contactId);
  }
  return state;
}

function associate(state: HubspotState, fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): number {
  const typeId = ASSOCIATION_TYPE_IDS[`${fromType}->${toType}`];
  const reverseTypeId = ASSOCIATION_TYPE_IDS[`${toType}->${fromType}`];
  if (typeId === undefined || reverseTypeId === undefined)
    throw validationError(`No default association between ${fromType} and ${toType}`);
  const exists = state.associations.some((a) => a.fromType === fromType && a.fromId === fromId && a.toType === toType && a.toId === toId);
  if (!exists) {
    state.associations.push({ fromType, fromId, toType, toId, typeId, category: 'HUBSPOT_DEFINED' });
    state.associations.push({
      fromType: toType,
      fromId: toId,
      toType: fromType,
      toId: fromId,
      typeId: reverseTypeId,
      category: 'HUBSPOT_DEFINED',
    });
  }
  return typeId;
}

// ---------------------------------------------------------------------------------------------
// Errors

class HubspotError extends Error {
  readonly status: number;
  readonly category: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, category: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.category = category;
    this.extra = extra;
  }
}

function errorBody(category: string, message: string, extra: Record<string, unknown> = {}): unknown {
  return { status: 'error', message, correlationId: randomUUID(), ...extra, category };
}

const validationError = (message: string, extra: Record<string, unknown> = {}) => new HubspotError(400, 'VALIDATION_ERROR', message, extra);

function propertyErrors(errors: Array<{ name: string; error: string; message: string }>): HubspotError {
  const detail = errors.map((e) => ({
    isValid: false,
    message: e.message,
    error: e.error,
    name: e.name,
    localizedErrorMessage: e.message,
  }));
  return validationError(`Property values were not valid: ${JSON.stringify(detail)}`);
}

function notFound(id: string): HubspotError {
  return new HubspotError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { context: { id: [id] } });
}

function errorReply(status: number, message: string): Reply {
  if (status === 429) {
    return jsonReply(
      429,
      errorBody('RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', {
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
      }),
    );
  }
  if (status >= 500) return jsonReply(status, errorBody('INTERNAL_ERROR', 'internal error'));
  if (status === 401) return jsonReply(401, errorBody('INVALID_AUTHENTICATION', message));
  return jsonReply(status, errorBody('VALIDATION_ERROR', message));
}

// ---------------------------------------------------------------------------------------------
// Reading records

function requestedProperties(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  const names = list
    .flatMap((item) => (typeof item === 'string' ? item.split(',') : []))
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

function queryProperties(query: URLSearchParams): string[] | undefined {
  return requestedProperties(query.getAll('properties'));
}

function isKnownProperty(type: ObjectType, name: string): boolean {
  const info = TYPES[type];
  return info.writable.includes(name) || info.always.includes(name);
}

/** SimplePublicObject with only the requested (or default) properties; unset known ones are null. */
function present(
  type: ObjectType,
  record: CrmRecord,
  properties: string[] | undefined,
  associations?: Record<string, unknown>,
): Record<string, unknown> {
  const info = TYPES[type];
  const names = new Set([...(properties ?? info.defaults), ...info.always]);
  const out: Record<string, string | null> = {};
  for (const name of names) {
    // HubSpot ignores names that are not properties of the object type.
    if (!isKnownProperty(type, name)) continue;
    out[name] = record.properties[name] ?? null;
  }
  return {
    id: record.id,
    properties: out,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: record.archived,
    ...(record.archivedAt ? { archivedAt: record.archivedAt } : {}),
    ...(associations ? { associations } : {}),
  };
}

function findRecord(
  state: HubspotState,
  type: ObjectType,
  id: string,
  idProperty: string | undefined,
  archived = false,
): CrmRecord | undefined {
  const records = state.objects[type];
  if (!idProperty || idProperty === 'hs_object_id') {
    const record = records.get(id);
    return record && record.archived === archived ? record : undefined;
  }
  if (!TYPES[type].unique.includes(idProperty)) {
    throw validationError(`Property ${idProperty} is not a unique identifier property for ${type}`);
  }
  const wanted = idProperty === 'email' ? id.toLowerCase() : id;
  for (const record of records.values()) {
    const value = record.properties[idProperty];
    if (record.archived === archived && value !== undefined && (idProperty === 'email' ? value.toLowerCase() : value) === wanted)
      return record;
  }
  return undefined;
}

function associationsOf(state: HubspotState, type: ObjectType, id: string, toTypesRaw: string[]): Record<string, unknown> | undefined {
  if (toTypesRaw.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const raw of toTypesRaw) {
    const toType = parseObjectType(raw);
    if (!toType) continue;
    const results = state.associations
      .filter((a) => a.fromType === type && a.fromId === id && a.toType === toType)
      .map((a) => ({ id: a.toId, type: `${TYPES[type].singular}_to_${TYPES[toType].singular}` }));
    if (results.length > 0) out[toType] = { results };
  }
  return out;
}

function archivedFlag(query: URLSearchParams): boolean {
  return query.get('archived') === 'true';
}

function getOne(state: HubspotState, type: ObjectType, id: string, query: URLSearchParams): Reply {
  const record = findRecord(state, type, id, query.get('idProperty') ?? undefined, archivedFlag(query));
  if (!record) throw notFound(id);
  const toTypes = query
    .getAll('associations')
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  return jsonReply(200, present(type, record, queryProperties(query), associationsOf(state, type, record.id, toTypes)));
}

function byNumericId(a: CrmRecord, b: CrmRecord): number {
  return Number(a.id) - Number(b.id);
}

function list(state: HubspotState, type: ObjectType, req: ServiceRequest): Reply {
  const limit = Number(req.query.get('limit') ?? '10');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw validationError('limit must be between 1 and 100');
  const after = req.query.get('after');
  const archived = archivedFlag(req.query);
  const records = [...state.objects[type].values()]
    .filter((r) => r.archived === archived && (after === null || Number(r.id) >= Number(after)))
    .sort(byNumericId);
  const page = records.slice(0, limit);
  const toTypes = req.query
    .getAll('associations')
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  const properties = queryProperties(req.query);
  const body: Record<string, unknown> = {
    results: page.map((r) => present(type, r, properties, associationsOf(state, type, r.id, toTypes))),
  };
  const next = records[limit];
  if (next) {
    const link = new URL(`${req.origin}/hubspot/crm/v3/objects/${type}`);
    for (const [key, value] of req.query) if (key !== 'after') link.searchParams.append(key, value);
    link.searchParams.set('after', next.id);
    body.paging = { next: { after: next.id, link: link.toString() } };
  }
  return jsonReply(200, body);
}

function batchRead(state: HubspotState, type: ObjectType, body: Record<string, unknown>, req: ServiceRequest): Reply {
  const startedAt = new Date().toISOString();
  const inputs = body.inputs;
  if (!Array.isArray(inputs)) throw validationError('Invalid input JSON: inputs is required');
  const withHistory = requestedProperties(body.propertiesWithHistory);
  const max = withHistory ? 50 : 100;
  if (inputs.length > max) throw validationError(`Batch size exceeded: at most ${max} inputs are allowed, got ${inputs.length}`);
  const idProperty = typeof body.idProperty === 'string' ? body.idProperty : undefined;
  const properties = requestedProperties(body.properties);
  const archived = archivedFlag(req.query);
  const results: unknown[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const id = isRecord(input) && (typeof input.id === 'string' || typeof input.id === 'number') ? String(input.id) : undefined;
    if (id === undefined) throw validationError('Invalid input JSON: each input needs an id');
    if (seen.has(id)) continue;
    seen.add(id);
    const record = findRecord(state, type, id, idProperty, archived);
    if (record) results.push(present(type, record, properties));
    else missing.push(id);
  }
  req.journal.note = `${inputs.length} inputs${missing.length ? `, ${missing.length} missing` : ''}`;
  const completedAt = new Date().toISOString();
  if (missing.length === 0) return jsonReply(200, { status: 'COMPLETE', results, startedAt, completedAt });
  // Missing ids are left out of `results` and reported with 207 Multi-Status, as HubSpot does.
  return jsonReply(207, {
    status: 'COMPLETE',
    results,
    numErrors: 1,
    errors: [
      {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `Could not get some ${TYPES[type].singular.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
        context: { ids: missing },
      },
    ],
    startedAt,
    completedAt,
  });
}

// ---------------------------------------------------------------------------------------------
// Search

interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  values?: unknown[];
  highValue?: unknown;
}

function comparable(property: string, value: unknown): number | string {
  const text = String(value ?? '');
  if (DATE_PROPERTIES.has(property)) {
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  return text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text.toLowerCase();
}

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9_+]+/)
    .filter(Boolean);
}

function matchesToken(actual: string, wanted: string): boolean {
  const pattern = wanted.toLowerCase();
  if (pattern.includes('*')) {
    const regex = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return regex.test(actual.toLowerCase()) || tokens(actual).some((t) => regex.test(t));
  }
  return tokens(actual).includes(pattern);
}

function matchesFilter(record: CrmRecord, filter: Filter): boolean {
  const actual = record.properties[filter.propertyName];
  const has = actual !== undefined && actual !== '';
  const left = comparable(filter.propertyName, actual);
  const right = comparable(filter.propertyName, filter.value);
  const values = (filter.values ?? []).map((v) => comparable(filter.propertyName, v));
  switch (filter.operator) {
    case 'EQ':
      return has && left === right;
    case 'NEQ':
      return !has || left !== right;
    case 'LT':
      return has && left < right;
    case 'LTE':
      return has && left <= right;
    case 'GT':
      return has && left > right;
    case 'GTE':
      return has && left >= right;
    case 'BETWEEN':
      return has && left >= right && left <= comparable(filter.propertyName, filter.highValue);
    case 'IN':
      return has && values.includes(left);
    case 'NOT_IN':
      return !has || !values.includes(left);
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'CONTAINS_TOKEN':
      return has && matchesToken(actual, String(filter.value ?? ''));
    case 'NOT_CONTAINS_TOKEN':
      return !has || !matchesToken(actual, String(filter.value ?? ''));
    default:
      throw validationError(`Unsupported filter operator: ${filter.operator}`);
  }
}

function parseFilterGroups(raw: unknown): Filter[][] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError('filterGroups must be an array');
  const groups = raw.map((group) => {
    const filters = isRecord(group) ? group.filters : undefined;
    if (!Array.isArray(filters)) throw validationError('each filter group needs a filters array');
    return filters.map((f): Filter => {
      if (!isRecord(f) || typeof f.propertyName !== 'string' || typeof f.operator !== 'string') {
        throw validationError('each filter needs propertyName and operator');
      }
      if ((f.operator === 'IN' || f.operator === 'NOT_IN') && !Array.isArray(f.values)) {
        throw validationError(`${f.operator} filters need a values array`);
      }
      return f as unknown as Filter;
    });
  });
  const total = groups.reduce((n, g) => n + g.length, 0);
  if (groups.length > 5 || groups.some((g) => g.length > 10) || total > 25) {
    throw validationError('Too many filters: at most 5 filterGroups, 10 filters per group and 25 filters in total');
  }
  return groups;
}

function search(state: HubspotState, type: ObjectType, body: Record<string, unknown>, req: ServiceRequest): Reply {
  const groups = parseFilterGroups(body.filterGroups);
  const limit = body.limit === undefined ? 10 : Number(body.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw validationError('limit must be between 1 and 200');
  const after = body.after === undefined ? 0 : Number(body.after);
  if (!Number.isInteger(after) || after < 0 || after >= 10_000) throw validationError('after must be a number below 10000');
  const text = typeof body.query === 'string' ? body.query.trim().toLowerCase() : '';
  const info = TYPES[type];
  let matches = [...state.objects[type].values()].filter(
    (r) =>
      !r.archived &&
      (groups.length === 0 || groups.some((g) => g.every((f) => matchesFilter(r, f)))) &&
      (text === '' ||
        info.searchable.some(
          (p) => tokens(r.properties[p] ?? '').some((t) => t.startsWith(text)) || (r.properties[p] ?? '').toLowerCase().startsWith(text),
        )),
  );
  matches.sort(byNumericId);
  const sorts = Array.isArray(body.sorts) ? body.sorts : [];
  for (const sort of [...sorts].reverse()) {
    const name = typeof sort === 'string' ? sort.replace(/^-/, '') : isRecord(sort) ? String(sort.propertyName) : '';
    const descending = typeof sort === 'string' ? sort.startsWith('-') : isRecord(sort) && sort.direction === 'DESCENDING';
    matches = matches.sort((a, b) => {
      const x = comparable(name, a.properties[name]);
      const y = comparable(name, b.properties[name]);
      return (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
    });
  }
  const page = matches.slice(after, after + limit);
  const properties = requestedProperties(body.properties);
  req.journal.note = `${groups.length} filter groups, ${matches.length} matches`;
  const reply: Record<string, unknown> = { total: matches.length, results: page.map((r) => present(type, r, properties)) };
  if (after + limit < matches.length) reply.paging = { next: { after: String(after + limit) } };
  return jsonReply(200, reply);
}

// ---------------------------------------------------------------------------------------------
// Writing records

function normalizeProperties(type: ObjectType, raw: unknown, creating: boolean): Record<string, string> {
  if (raw === undefined && !creating) return {};
  if (!isRecord(raw)) throw validationError('Invalid input JSON: properties must be an object');
  const info = TYPES[type];
  const errors: Array<{ name: string; error: string; message: string }> = [];
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (info.always.includes(name) && !info.writable.includes(name)) {
      errors.push({ name, error: 'READ_ONLY_VALUE', message: `${name} is a read only property; its value cannot be set.` });
      continue;
    }
    if (!info.writable.includes(name)) {
      errors.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      errors.push({ name, error: 'INVALID_PROPERTY_VALUE', message: `${JSON.stringify(value)} is not a valid value for ${name}` });
      continue;
    }
    // HubSpot stores every property value as a string.
    const text = value === null ? '' : String(value);
    const options = OPTIONS[name];
    if (text !== '' && options && !options.includes(text)) {
      errors.push({ name, error: 'INVALID_OPTION', message: `${text} was not one of the allowed options: ${options.join(', ')}` });
      continue;
    }
    if (name === 'email' && text !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text)) {
      errors.push({ name, error: 'INVALID_EMAIL', message: `Email address ${text} is invalid` });
      continue;
    }
    out[name] = DATE_PROPERTIES.has(name) && /^\d+$/.test(text) ? new Date(Number(text)).toISOString() : text;
  }
  if (creating && type === 'tickets' && !out.hs_pipeline_stage) {
    errors.push({ name: 'hs_pipeline_stage', error: 'REQUIRED_FIELD', message: 'hs_pipeline_stage is required' });
  }
  if (creating && type === 'notes' && !out.hs_timestamp) {
    errors.push({ name: 'hs_timestamp', error: 'REQUIRED_FIELD', message: 'hs_timestamp is required' });
  }
  if (errors.length > 0) throw propertyErrors(errors);
  return out;
}

function assertUnique(state: HubspotState, type: ObjectType, properties: Record<string, string>, selfId?: string): void {
  for (const name of TYPES[type].unique) {
    const value = properties[name];
    if (name === 'hs_object_id' || !value) continue;
    const existing = findRecord(state, type, value, name);
    if (existing && existing.id !== selfId) {
      const message =
        name === 'email'
          ? `Contact already exists. Existing ID: ${existing.id}`
          : `A ${TYPES[type].singular} with the value '${value}' already exists for the '${name}' property. Existing ID: ${existing.id}`;
      throw new HubspotError(409, 'CONFLICT', message);
    }
  }
}

function createRecord(state: HubspotState, type: ObjectType, body: Record<string, unknown>): Reply {
  const properties = normalizeProperties(type, body.properties, true);
  assertUnique(state, type, properties);
  // Validate inline associations before writing anything.
  const links = parseInlineAssociations(state, type, body.associations);
  const id = String(state.nextId[type]++);
  const now = new Date().toISOString();
  const info = TYPES[type];
  if (type === 'tickets') properties.hs_pipeline ??= '0';
  const record: CrmRecord = {
    id,
    properties: {
      ...properties,
      hs_object_id: id,
      [info.createdProperty]: properties[info.createdProperty] ?? now,
      [info.modifiedProperty]: now,
    },
    createdAt: properties[info.createdProperty] ?? now,
    updatedAt: now,
    archived: false,
  };
  state.objects[type].set(id, record);
  for (const link of links) associate(state, type, id, link.toType, link.toId);
  return jsonReply(201, present(type, record, Object.keys(record.properties)));
}

function parseInlineAssociations(state: HubspotState, type: ObjectType, raw: unknown): Array<{ toType: ObjectType; toId: string }> {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw validationError('associations must be an array');
  return raw.map((item) => {
    const toId = isRecord(item) && isRecord(item.to) ? String(item.to.id ?? '') : '';
    const spec = isRecord(item) && Array.isArray(item.types) ? item.types[0] : undefined;
    const typeId = isRecord(spec) ? Number(spec.associationTypeId) : NaN;
    const entry = Object.entries(ASSOCIATION_TYPE_IDS).find(([key, id]) => id === typeId && key.startsWith(`${type}->`));
    if (!entry) throw validationError(`Invalid association type id ${String(typeId)} for ${type}`);
    const toType = entry[0].split('->')[1] as ObjectType;
    if (!state.objects[toType].get(toId)) throw validationError(`Association target ${toType} ${toId} does not exist`);
    return { toType, toId };
  });
}

function updateRecord(state: HubspotState, type: ObjectType, id: string, body: Record<string, unknown>, query: URLSearchParams): Reply {
  const record = findRecord(state, type, id, query.get('idProperty') ?? undefined);
  if (!record) throw notFound(id);
  const properties = normalizeProperties(type, body.properties, false);
  assertUnique(state, type, properties, record.id);
  const now = new Date().toISOString();
  for (const [name, value] of Object.entries(properties)) {
    if (value === '') delete record.properties[name];
    else record.properties[name] = value;
  }
  record.properties[TYPES[type].modifiedProperty] = now;
  record.updatedAt = now;
  return jsonReply(200, present(type, record, Object.keys(record.properties)));
}

/**
 * `POST /crm/v3/objects/contacts/merge {primaryObjectId, objectIdToMerge}`: the primary keeps its
 * id, gains the properties it lacks, and takes over the associations; the other is archived.
 */
function mergeRecords(state: HubspotState, type: ObjectType, body: Record<string, unknown>): Reply {
  const primaryId = String(body.primaryObjectId ?? '');
  const mergedId = String(body.objectIdToMerge ?? '');
  if (!primaryId || !mergedId) throw validationError('Invalid input JSON: primaryObjectId and objectIdToMerge are required');
  if (primaryId === mergedId) throw validationError('Cannot merge an object with itself');
  const primary = requireRecord(state, type, primaryId);
  const merged = requireRecord(state, type, mergedId);
  const unique = new Set(TYPES[type].unique);
  for (const [name, value] of Object.entries(merged.properties)) {
    if (!TYPES[type].writable.includes(name) || primary.properties[name]) continue;
    if (unique.has(name)) delete merged.properties[name]; // a unique value moves, it is not copied
    primary.properties[name] = value;
  }
  for (const link of state.associations) {
    if (link.fromType === type && link.fromId === mergedId) link.fromId = primaryId;
    if (link.toType === type && link.toId === mergedId) link.toId = primaryId;
  }
  merged.archived = true;
  merged.archivedAt = new Date().toISOString();
  const now = new Date().toISOString();
  primary.properties[TYPES[type].modifiedProperty] = now;
  primary.updatedAt = now;
  return jsonReply(200, present(type, primary, Object.keys(primary.properties)));
}

/**
 * HubSpot webhook signature v3 (EXTERNAL-APIS.md §11): base64 HMAC-SHA256 with the app's client
 * secret over `method + uri + body + timestamp`. What HubSpot would send; tests sign with it.
 */
export function hubspotSignatureV3(secret: string, method: string, uri: string, body: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body}${timestampMs}`, 'utf8').digest('base64');
}

function archiveRecord(state: HubspotState, type: ObjectType, id: string): Reply {
  const record = state.objects[type].get(id);
  if (record && !record.archived) {
    record.archived = true;
    record.archivedAt = new Date().toISOString();
  }
  return { status: 204, text: '' };
}

// ---------------------------------------------------------------------------------------------
// Associations v4

function requireRecord(state: HubspotState, type: ObjectType, id: string): CrmRecord {
  const record = state.objects[type].get(id);
  if (!record || record.archived) throw notFound(id);
  return record;
}

function associationsRoute(state: HubspotState, req: ServiceRequest, segments: string[], body: unknown): Reply {
  // /crm/v4/associations/{from}/{to}/batch/read
  if (segments[2] === 'associations' && segments[5] === 'batch' && segments[6] === 'read' && req.method === 'POST') {
    const fromType = objectType(segments[3]!);
    const toType = objectType(segments[4]!);
    const inputs = isRecord(body) && Array.isArray(body.inputs) ? body.inputs : undefined;
    if (!inputs) throw validationError('Invalid input JSON: inputs is required');
    if (inputs.length > 1000) throw validationError('Batch size exceeded: at most 1000 inputs are allowed');
    const startedAt = new Date().toISOString();
    const results = inputs.flatMap((input) => {
      const id = isRecord(input) ? String(input.id ?? '') : '';
      const to = linksFrom(state, fromType, id, toType);
      return to.length > 0 ? [{ from: { id }, to }] : [];
    });
    req.journal.note = `${inputs.length} inputs`;
    return jsonReply(200, { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() });
  }
  // /crm/v4/objects/{type}/{id}/associations/{toType}[/{toId}] and .../associations/default/{toType}/{toId}
  if (segments[2] !== 'objects' || segments[5] !== 'associations') throw routeNotFound(req);
  const fromType = objectType(segments[3]!);
  const fromId = segments[4]!;
  if (segments[6] === 'default' && segments.length === 9 && req.method === 'PUT') {
    const toType = objectType(segments[7]!);
    const toId = segments[8]!;
    requireRecord(state, fromType, fromId);
    requireRecord(state, toType, toId);
    const typeId = associate(state, fromType, fromId, toType, toId);
    const reverseTypeId = ASSOCIATION_TYPE_IDS[`${toType}->${fromType}`]!;
    const now = new Date().toISOString();
    return jsonReply(200, {
      status: 'COMPLETE',
      results: [
        { from: { id: fromId }, to: { id: toId }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId } },
        {
          from: { id: toId },
          to: { id: fromId },
          associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: reverseTypeId },
        },
      ],
      startedAt: now,
      completedAt: now,
    });
  }
  const toType = objectType(segments[6] ?? '');
  if (segments.length === 7 && req.method === 'GET') {
    requireRecord(state, fromType, fromId);
    const all = linksFrom(state, fromType, fromId, toType);
    const limit = Number(req.query.get('limit') ?? '500');
    const after = Number(req.query.get('after') ?? '0');
    const page = all.slice(after, after + limit);
    return jsonReply(200, { results: page, ...(after + limit < all.length ? { paging: { next: { after: String(after + limit) } } } : {}) });
  }
  if (segments.length === 8) {
    const toId = segments[7]!;
    if (req.method === 'DELETE') {
      state.associations = state.associations.filter(
        (a) =>
          !(
            (a.fromType === fromType && a.fromId === fromId && a.toType === toType && a.toId === toId) ||
            (a.fromType === toType && a.fromId === toId && a.toType === fromType && a.toId === fromId)
          ),
      );
      return { status: 204, text: '' };
    }
    if (req.method === 'PUT') {
      requireRecord(state, fromType, fromId);
      requireRecord(state, toType, toId);
      // Labelled associations: the sandbox knows only HubSpot's default types, so the body's spec
      // must name one of them.
      const specs = Array.isArray(body) ? body : [];
      const expected = ASSOCIATION_TYPE_IDS[`${fromType}->${toType}`];
      if (specs.length === 0 || !specs.every((s) => isRecord(s) && Number(s.associationTypeId) === expected)) {
        throw validationError(`Expected [{associationCategory:'HUBSPOT_DEFINED', associationTypeId:${String(expected)}}]`);
      }
      associate(state, fromType, fromId, toType, toId);
      return jsonReply(201, {
        fromObjectTypeId: TYPES[fromType].typeId,
        fromObjectId: Number(fromId),
        toObjectTypeId: TYPES[toType].typeId,
        toObjectId: Number(toId),
        labels: [],
      });
    }
  }
  throw routeNotFound(req);
}

function linksFrom(state: HubspotState, fromType: ObjectType, fromId: string, toType: ObjectType) {
  return state.associations
    .filter((a) => a.fromType === fromType && a.fromId === fromId && a.toType === toType)
    .map((a) => ({ toObjectId: Number(a.toId), associationTypes: [{ category: a.category, typeId: a.typeId, label: null }] }));
}

// ---------------------------------------------------------------------------------------------
// Routing

function objectType(raw: string): ObjectType {
  const type = parseObjectType(raw);
  if (!type) throw validationError(`Unable to infer object type from: ${raw}`);
  return type;
}

function routeNotFound(req: ServiceRequest): HubspotError {
  return new HubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${req.path}`);
}

function readJsonBody(req: ServiceRequest): unknown {
  if (req.body.length === 0) return undefined;
  const parsed = parseJson(req.body);
  if (!parsed.ok) throw validationError(`Invalid input JSON on line 1: ${parsed.message}`);
  return parsed.value;
}

function objectsRoute(state: HubspotState, req: ServiceRequest, segments: string[], body: unknown): Reply {
  // segments: crm v3 objects {type} [{id} | batch read | search]
  const type = objectType(segments[3] ?? '');
  const rest = segments.slice(4);
  const record = isRecord(body) ? body : {};
  if (rest.length === 0) {
    if (req.method === 'GET') return list(state, type, req);
    if (req.method === 'POST') return createRecord(state, type, record);
  }
  if (rest.length === 1 && rest[0] === 'search' && req.method === 'POST') return search(state, type, record, req);
  if (rest.length === 1 && rest[0] === 'merge' && req.method === 'POST') return mergeRecords(state, type, record);
  if (rest.length === 2 && rest[0] === 'batch' && rest[1] === 'read' && req.method === 'POST') return batchRead(state, type, record, req);
  if (rest.length === 1) {
    const id = decodeURIComponent(rest[0]!);
    if (req.method === 'GET') return getOne(state, type, id, req.query);
    if (req.method === 'PATCH') return updateRecord(state, type, id, record, req.query);
    if (req.method === 'DELETE') return archiveRecord(state, type, id);
  }
  throw routeNotFound(req);
}

function handle(req: ServiceRequest, state: HubspotState): Reply {
  try {
    const token = bearerToken(req.headers);
    if (token !== SANDBOX_CREDENTIALS.hubspotToken) {
      throw new HubspotError(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    const segments = req.path.split('/').filter(Boolean);
    const body = readJsonBody(req);
    if (body !== undefined && !isRecord(body) && !Array.isArray(body)) throw validationError('Invalid input JSON: expected an object');
    if (segments[0] === 'crm' && segments[1] === 'v3' && segments[2] === 'objects') return objectsRoute(state, req, segments, body);
    if (segments[0] === 'crm' && segments[1] === 'v4') return associationsRoute(state, req, segments, body);
    throw routeNotFound(req);
  } catch (error) {
    if (error instanceof HubspotError) return jsonReply(error.status, errorBody(error.category, error.message, error.extra));
    throw error;
  }
}

const TEN_SECONDS = 10_000;
const BURST_MAX = 190;
const DAILY_MAX = 650_000;

export const hubspotService: Service<HubspotState> = {
  name: 'hubspot',
  handle,
  errorReply,
  // Called once per response, so it is also where requests are counted for the rolling window.
  commonHeaders(state) {
    const now = Date.now();
    state.recentRequests = state.recentRequests.filter((t) => now - t < TEN_SECONDS);
    state.recentRequests.push(now);
    state.dailyRequests += 1;
    const inSecond = state.recentRequests.filter((t) => now - t < 1000).length;
    return {
      'X-HubSpot-RateLimit-Daily': String(DAILY_MAX),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, DAILY_MAX - state.dailyRequests)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(TEN_SECONDS),
      'X-HubSpot-RateLimit-Max': String(BURST_MAX),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, BURST_MAX - state.recentRequests.length)),
      'X-HubSpot-RateLimit-Secondly': String(BURST_MAX / 10),
      'X-HubSpot-RateLimit-Secondly-Remaining': String(Math.max(0, BURST_MAX / 10 - inSecond)),
    };
  },
};
