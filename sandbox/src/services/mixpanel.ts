/**
 * Mixpanel ingestion emulator (EXTERNAL-APIS.md §7.1): `/import` with strict validation and
 * de-duplication, `/track` for client-style events, and the raw export API to read events back.
 */
import { STATUS_CODES } from 'node:http';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { SEED_EVENTS } from '../seed.ts';
import {
  basicAuth,
  bearerToken,
  isRecord,
  jsonReply,
  mediaType,
  newId,
  parseForm,
  parseJson,
  parseNdjson,
  type Parsed,
  type Reply,
  type Service,
  type ServiceRequest,
} from '../http.ts';

/** An event as stored: `properties.time` normalized to milliseconds. */
export interface StoredMixpanelEvent {
  event: string;
  properties: Record<string, unknown> & { time: number; distinct_id: string; $insert_id: string };
}

export interface MixpanelState {
  /** Keyed by the de-duplication identity (event, distinct_id, time, $insert_id); the latest copy wins. */
  events: Map<string, StoredMixpanelEvent>;
  /** Records accepted by /import and /track, duplicates included (what Mixpanel bills for). */
  recordsReceived: number;
  /** GDPR API data-deletion tasks by task id (the sandbox completes them at once). */
  deletionTasks: Map<string, { distinctIds: string[]; complianceType: string; status: string; deletedEvents: number }>;
}

const MAX_BATCH = 2000;
const JAN_1_1971_MS = Date.UTC(1971, 0, 1);
const FIVE_DAYS_MS = 5 * 86_400_000;
const PLACEHOLDER_IDS = new Set([
  'anon',
  'anonymous',
  'null',
  'none',
  'n/a',
  'na',
  'nil',
  'undefined',
  'unknown',
  '<nil>',
  '0',
  '-1',
  '00000000-0000-0000-0000-000000000000',
  '[]',
  '{}',
  'lmy47d',
]);

function dedupeKey(event: StoredMixpanelEvent): string {
  const p = event.properties;
  return JSON.stringify([event.event, p.distinct_id, p.time, p.$insert_id]);
}

export function createMixpanelState(): MixpanelState {
  const state: MixpanelState = { events: new Map(), recordsReceived: 0, deletionTasks: new Map() };
  for (const seed of SEED_EVENTS) {
    const stored: StoredMixpanelEvent = {
      event: seed.event,
      properties: { ...seed.properties, time: seed.time, distinct_id: seed.distinct_id, $insert_id: seed.insert_id },
    };
    state.events.set(dedupeKey(stored), stored);
  }
  return state;
}

function errorReply(status: number, message: string): Reply {
  if (status === 429) {
    return jsonReply(429, {
      code: 429,
      error: 'Project exceeded rate limits. Please retry the request with exponential backoff.',
      status: 'Too Many Requests',
    });
  }
  return jsonReply(status, {
    code: status,
    error: status >= 500 ? 'Internal server error' : message,
    status: STATUS_CODES[status] ?? 'Error',
  });
}

const badRequest = (error: string) => errorReply(400, error);

// ---------------------------------------------------------------------------------------------
// Validation

interface FailedRecord {
  index: number;
  $insert_id: string | null;
  field: string;
  message: string;
}

/** Mixpanel accepts seconds or milliseconds; anything below 1e11 is taken as seconds. */
function timeToMs(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(number) || number < 0) return undefined;
  return Math.round(number < 1e11 ? number * 1000 : number);
}

function validateImportRecord(record: unknown, index: number, now: number): StoredMixpanelEvent | FailedRecord {
  const fail = (field: string, message: string): FailedRecord => ({
    index,
    $insert_id:
      isRecord(record) && isRecord(record.properties) && typeof record.properties.$insert_id === 'string'
        ? record.properties.$insert_id
        : null,
    field,
    message,
  });
  if (!isRecord(record)) return fail('', 'record must be a JSON object');
  if (typeof record.event !== 'string' || record.event.trim() === '' || record.event.length > 255) {
    return fail('event', "'event' must be a non-empty string of at most 255 characters");
  }
  const props = record.properties;
  if (!isRecord(props)) return fail('properties', "'properties' must be a JSON object");
  if (Object.keys(props).length >= 255) return fail('properties', "'properties' must have fewer than 255 keys");
  const time = timeToMs(props.time);
  if (time === undefined || time < JAN_1_1971_MS) {
    return fail('properties.time', "'properties.time' is invalid: must be seconds or milliseconds since the epoch, after 1971-01-01");
  }
  if (time > now + 3_600_000) return fail('properties.time', "'properties.time' is invalid: must not be more than 1 hour in the future");
  if (!('distinct_id' in props) || (typeof props.distinct_id !== 'string' && typeof props.distinct_id !== 'number')) {
    return fail('properties.distinct_id', '\'properties.distinct_id\' must be specified (use "" for events without a user)');
  }
  const distinctId = String(props.distinct_id);
  if (PLACEHOLDER_IDS.has(distinctId.toLowerCase()))
    return fail('properties.distinct_id', `'properties.distinct_id' is a placeholder value: ${distinctId}`);
  const insertId = props.$insert_id;
  if (typeof insertId !== 'string' || insertId === '') return fail('properties.$insert_id', "'properties.$insert_id' must be specified");
  if (insertId.length > 36 || !/^[A-Za-z0-9-]+$/.test(insertId) || PLACEHOLDER_IDS.has(insertId.toLowerCase())) {
    return fail('properties.$insert_id', "'properties.$insert_id' must be at most 36 alphanumeric characters or dashes");
  }
  const { token: _token, ...rest } = props;
  return { event: record.event, properties: { ...rest, time, distinct_id: distinctId, $insert_id: insertId } };
}

function parseEvents(req: ServiceRequest): Parsed<unknown[]> {
  const type = mediaType(req.headers);
  if (type === 'application/x-ndjson') return parseNdjson(req.body);
  const parsed = parseJson(req.body);
  if (!parsed.ok) {
    // Clients that forget the NDJSON content type still send one event per line.
    const lines = parseNdjson(req.body);
    return lines.ok && lines.value.length > 1 ? lines : { ok: false, message: parsed.message };
  }
  return { ok: true, value: Array.isArray(parsed.value) ? parsed.value : [parsed.value] };
}

function store(state: MixpanelState, event: StoredMixpanelEvent): boolean {
  const key = dedupeKey(event);
  const duplicate = state.events.has(key);
  state.events.delete(key); // re-insert so the latest copy is also the newest in export order
  state.events.set(key, event);
  state.recordsReceived += 1;
  return duplicate;
}

// ---------------------------------------------------------------------------------------------
// Endpoints

function importEvents(req: ServiceRequest, state: MixpanelState): Reply {
  const auth = basicAuth(req.headers);
  if (!auth) return errorReply(401, 'Unauthorized: provide the project token as the Basic auth username');
  if (auth.user !== SANDBOX_CREDENTIALS.mixpanelToken) return errorReply(401, 'Invalid credentials');
  const parsed = parseEvents(req);
  if (!parsed.ok) return badRequest(`unable to parse request body: ${parsed.message}`);
  const records = parsed.value;
  if (records.length === 0) return badRequest('request contains no records');
  if (records.length > MAX_BATCH) return badRequest(`request contains ${records.length} records; the limit is ${MAX_BATCH} per request`);
  const strict = req.query.get('strict') !== '0';
  const now = Date.now();
  const failed: FailedRecord[] = [];
  let imported = 0;
  let duplicates = 0;
  for (const [index, record] of records.entries()) {
    const result = validateImportRecord(record, index, now);
    if ('field' in result) {
      failed.push(result);
      continue;
    }
    imported += 1;
    if (store(state, result)) duplicates += 1;
  }
  req.journal.note = `${records.length} events${duplicates ? `, ${duplicates} duplicates` : ''}${failed.length ? `, ${failed.length} failed` : ''}`;
  // Without strict=1 Mixpanel drops invalid records silently.
  if (failed.length > 0 && strict) {
    return jsonReply(400, {
      code: 400,
      error: 'some data points in the request failed validation',
      failed_records: failed,
      num_records_imported: imported,
      status: 'Bad Request',
    });
  }
  return jsonReply(200, { code: 200, num_records_imported: imported, status: 'OK' });
}

function decodeTrackData(data: string): unknown {
  const attempt = parseJson(Buffer.from(data));
  if (attempt.ok) return attempt.value;
  // The legacy form encoding is base64 JSON.
  const decoded = parseJson(Buffer.from(data, 'base64'));
  return decoded.ok ? decoded.value : undefined;
}

function track(req: ServiceRequest, state: MixpanelState): Reply {
  const verbose = req.query.get('verbose') === '1';
  const answer = (error: string | null): Reply =>
    verbose ? jsonReply(200, { status: error ? 0 : 1, error }) : { status: 200, text: error ? '0' : '1' };
  let payload: unknown;
  const type = mediaType(req.headers);
  if (req.query.get('data')) payload = decodeTrackData(req.query.get('data')!);
  else if (type === 'application/x-www-form-urlencoded') payload = decodeTrackData(parseForm(req.body).get('data') ?? '');
  else {
    const parsed = parseJson(req.body);
    payload = parsed.ok ? parsed.value : undefined;
  }
  if (payload === undefined) return answer('unable to parse request body');
  const records = Array.isArray(payload) ? payload : [payload];
  if (records.length === 0 || records.length > MAX_BATCH) return answer(`send 1 to ${MAX_BATCH} events per request`);
  const now = Date.now();
  const accepted: StoredMixpanelEvent[] = [];
  for (const record of records) {
    if (!isRecord(record) || typeof record.event !== 'string' || record.event === '' || !isRecord(record.properties)) {
      return answer('each event needs an event name and a properties object');
    }
    const props = record.properties;
    if (props.token !== SANDBOX_CREDENTIALS.mixpanelToken) return answer('token, missing or empty');
    const time = props.time === undefined ? now : timeToMs(props.time);
    if (time === undefined || time < now - FIVE_DAYS_MS) return answer('events older than 5 days must be sent to /import');
    const { token: _token, ...rest } = props;
    accepted.push({
      event: record.event,
      properties: {
        ...rest,
        time,
        distinct_id: props.distinct_id === undefined ? '' : String(props.distinct_id),
        $insert_id: typeof props.$insert_id === 'string' ? props.$insert_id : newId('', 20),
      },
    });
  }
  for (const event of accepted) store(state, event);
  req.journal.note = `${accepted.length} events`;
  return answer(null);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function exportEvents(req: ServiceRequest, state: MixpanelState): Reply {
  const requestUrl = `/api/2.0/export?${req.query.toString()}`;
  const fail = (status: number, error: string): Reply => jsonReply(status, { request: requestUrl, error });
  // Raw export normally takes a service account or API secret; the sandbox accepts the project token.
  const auth = basicAuth(req.headers);
  if (!auth || auth.user !== SANDBOX_CREDENTIALS.mixpanelToken) return fail(401, 'Invalid credentials');
  const from = req.query.get('from_date');
  const to = req.query.get('to_date');
  if (!from || !DATE.test(from)) return fail(400, "'from_date' is a required parameter (YYYY-MM-DD)");
  if (!to || !DATE.test(to)) return fail(400, "'to_date' is a required parameter (YYYY-MM-DD)");
  if (req.query.get('where')) return fail(400, "the sandbox does not evaluate 'where' expressions");
  let names: unknown;
  const eventParam = req.query.get('event');
  if (eventParam) {
    const parsed = parseJson(Buffer.from(eventParam));
    names = parsed.ok ? parsed.value : undefined;
    if (!Array.isArray(names)) return fail(400, "'event' must be a JSON array of event names");
  }
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`) + 86_400_000;
  const limit = req.query.get('limit') ? Number(req.query.get('limit')) : Infinity;
  const events = [...state.events.values()]
    .filter((e) => e.properties.time >= start && e.properties.time < end && (!Array.isArray(names) || names.includes(e.event)))
    .sort((a, b) => a.properties.time - b.properties.time)
    .slice(0, limit);
  req.journal.note = `${events.length} events`;
  // Export reports time in seconds, as Mixpanel does.
  const lines = events.map((e) =>
    JSON.stringify({ event: e.event, properties: { ...e.properties, time: Math.floor(e.properties.time / 1000) } }),
  );
  return { status: 200, text: lines.length ? `${lines.join('\n')}\n` : '', contentType: 'text/plain; charset=utf-8' };
}

const DELETIONS_PATH = '/api/app/data-deletions/v3.0/';
const MAX_DELETION_IDS = 2000;

/**
 * GDPR API v3 (EXTERNAL-APIS.md §11): `POST /api/app/data-deletions/v3.0/?token=` with the GDPR
 * OAuth token as Bearer, `{distinct_ids, compliance_type}` → a task id; `GET .../<task id>?token=`
 * → its status. The sandbox deletes the users' events at once and reports the task COMPLETED.
 */
function dataDeletions(req: ServiceRequest, state: MixpanelState): Reply {
  if (bearerToken(req.headers) !== SANDBOX_CREDENTIALS.mixpanelGdprToken) return errorReply(401, 'Invalid OAuth token for the GDPR API');
  if (req.query.get('token') !== SANDBOX_CREDENTIALS.mixpanelToken) return badRequest("'token' (the project token) is required");
  const taskId = req.path.slice(DELETIONS_PATH.length);
  if (req.method === 'GET' && taskId) {
    const task = state.deletionTasks.get(taskId);
    if (!task) return errorReply(404, `no deletion task ${taskId}`);
    return jsonReply(200, {
      status: 'ok',
      results: { status: task.status, distinct_ids: task.distinctIds, compliance_type: task.complianceType },
    });
  }
  if (req.method !== 'POST' || taskId) return errorReply(404, `no route for ${req.method} ${req.path}`);
  const parsed = parseJson(req.body);
  const body = parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
  const ids = body?.distinct_ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_DELETION_IDS || !ids.every((id) => typeof id === 'string' && id !== '')) {
    return badRequest(`'distinct_ids' must be an array of 1-${MAX_DELETION_IDS} non-empty strings`);
  }
  const complianceType = body?.compliance_type ?? 'GDPR';
  if (complianceType !== 'GDPR' && complianceType !== 'CCPA') return badRequest("'compliance_type' must be GDPR or CCPA");
  const wanted = new Set(ids as string[]);
  let deletedEvents = 0;
  for (const [key, event] of state.events) {
    if (wanted.has(event.properties.distinct_id)) {
      state.events.delete(key);
      deletedEvents += 1;
    }
  }
  const id = newId('', 24);
  state.deletionTasks.set(id, { distinctIds: [...wanted], complianceType, status: 'COMPLETED', deletedEvents });
  req.journal.note = `${wanted.size} users, ${deletedEvents} events deleted`;
  return jsonReply(200, { status: 'ok', results: { task_id: id } });
}

function handle(req: ServiceRequest, state: MixpanelState): Reply {
  if (req.path.startsWith(DELETIONS_PATH)) return dataDeletions(req, state);
  if (req.path === '/import' && req.method === 'POST') return importEvents(req, state);
  if (req.path === '/track' && (req.method === 'POST' || req.method === 'GET')) return track(req, state);
  if (req.path === '/api/2.0/export' && req.method === 'GET') return exportEvents(req, state);
  return errorReply(404, `no route for ${req.method} ${req.path}`);
}

export const mixpanelService: Service<MixpanelState> = { name: 'mixpanel', handle, errorReply };
