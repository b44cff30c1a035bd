/**
 * Amplitude HTTP V2 emulator (EXTERNAL-APIS.md §7.2): `POST /2/httpapi` (and `/batch`, same
 * format) with the api_key in the body, whole-request validation and insert_id de-duplication.
 */
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { basicAuth, isRecord, jsonReply, parseJson, type Reply, type Service, type ServiceRequest } from '../http.ts';

export interface StoredAmplitudeEvent extends Record<string, unknown> {
  event_type: string;
  user_id?: string;
  device_id?: string;
  time: number;
  insert_id?: string;
}

export interface AmplitudeState {
  events: StoredAmplitudeEvent[];
  /** insert_id per device/user already seen (Amplitude keeps them for 7 days; the sandbox forever). */
  seenInsertIds: Set<string>;
  /** Events accepted by requests, duplicates included. */
  eventsReceived: number;
  /** User Privacy API deletion jobs, newest last. */
  deletionJobs: { day: string; userIds: string[]; requester: string; status: string }[];
}

export function createAmplitudeState(): AmplitudeState {
  return { events: [], seenInsertIds: new Set(), eventsReceived: 0, deletionJobs: [] };
}

const MAX_DELETION_IDS = 100;

/**
 * User Privacy API (EXTERNAL-APIS.md §11): `POST /api/2/deletions/users`, basic auth
 * `API_KEY:SECRET_KEY`, `{user_ids, amplitude_ids?, requester, ignore_invalid_ids}` (≤ 100 ids) →
 * the scheduled job; `GET` lists jobs. The sandbox deletes the users' events at once.
 */
function deletions(req: ServiceRequest, state: AmplitudeState): Reply {
  const auth = basicAuth(req.headers);
  if (!auth || auth.user !== SANDBOX_CREDENTIALS.amplitudeApiKey || auth.password !== SANDBOX_CREDENTIALS.amplitudeSecretKey) {
    return jsonReply(401, { code: 401, error: 'Invalid API key or secret key' });
  }
  if (req.method === 'GET')
    return jsonReply(
      200,
      state.deletionJobs.map((j) => ({
        day: j.day,
        status: j.status,
        amplitude_ids: j.userIds.map((id) => ({ user_id: id, requester: j.requester })),
      })),
    );
  if (req.method !== 'POST') return errorReply(404, `no route for ${req.method} ${req.path}`);
  const parsed = parseJson(req.body);
  const body = parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
  const ids = body?.user_ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_DELETION_IDS || !ids.every((id) => typeof id === 'string' && id !== '')) {
    return errorReply(400, `user_ids must be an array of 1-${MAX_DELETION_IDS} user ids`);
  }
  const wanted = new Set(ids as string[]);
  const before = state.events.length;
  state.events = state.events.filter((e) => !(e.user_id !== undefined && wanted.has(e.user_id)));
  const day = new Date().toISOString().slice(0, 10);
  const requester = typeof body?.requester === 'string' ? body.requester : '';
  state.deletionJobs.push({ day, userIds: [...wanted], requester, status: 'staging' });
  req.journal.note = `${wanted.size} users, ${before - state.events.length} events deleted`;
  return jsonReply(200, [
    { day, status: 'staging', amplitude_ids: [...wanted].map((id) => ({ user_id: id, requested_on_day: day, requester })) },
  ]);
}

const MAX_EVENTS = 2000;
const DEFAULT_MIN_ID_LENGTH = 5;

function errorReply(status: number, message: string): Reply {
  if (status === 429) {
    return jsonReply(429, {
      code: 429,
      error: 'Too many requests for some devices and users',
      eps_threshold: 30,
      throttled_devices: {},
      throttled_users: {},
      throttled_events: [],
    });
  }
  if (status === 413) return jsonReply(413, { code: 413, error: 'Payload too large' });
  return jsonReply(status, { code: status, error: status >= 500 ? 'Internal server error' : message });
}

type IndexGroups = Record<string, number[]>;

function addIndex(groups: IndexGroups, field: string, index: number): void {
  (groups[field] ??= []).push(index);
}

function handle(req: ServiceRequest, state: AmplitudeState): Reply {
  if (req.path === '/api/2/deletions/users') return deletions(req, state);
  if (req.method !== 'POST' || (req.path !== '/2/httpapi' && req.path !== '/batch')) {
    return errorReply(404, `no route for ${req.method} ${req.path}`);
  }
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return errorReply(400, 'Invalid JSON request body');
  const body = parsed.value;
  if (typeof body.api_key !== 'string' || body.api_key === '') {
    return jsonReply(400, { code: 400, error: 'Request missing required field', missing_field: 'api_key' });
  }
  if (body.api_key !== SANDBOX_CREDENTIALS.amplitudeApiKey) return jsonReply(400, { code: 400, error: 'Invalid API key' });
  const events = body.events;
  if (!Array.isArray(events) || events.length === 0) {
    return jsonReply(400, { code: 400, error: 'Request missing required field', missing_field: 'events' });
  }
  if (events.length > MAX_EVENTS) return errorReply(413, 'Payload too large');
  const options = isRecord(body.options) ? body.options : {};
  const minIdLength =
    typeof options.min_id_length === 'number' && Number.isInteger(options.min_id_length) && options.min_id_length > 0
      ? options.min_id_length
      : DEFAULT_MIN_ID_LENGTH;

  const missing: IndexGroups = {};
  const invalid: IndexGroups = {};
  const shortIds: IndexGroups = {};
  for (const [index, event] of events.entries()) {
    if (!isRecord(event)) {
      addIndex(invalid, 'event', index);
      continue;
    }
    if (typeof event.event_type !== 'string' || event.event_type === '') addIndex(missing, 'event_type', index);
    if (event.user_id === undefined && event.device_id === undefined) {
      addIndex(missing, 'user_id', index);
      addIndex(missing, 'device_id', index);
    }
    for (const field of ['user_id', 'device_id'] as const) {
      const value = event[field];
      if (value === undefined) continue;
      if (typeof value !== 'string') addIndex(invalid, field, index);
      else if (value.length < minIdLength) addIndex(shortIds, field, index);
    }
    if (event.time !== undefined && !Number.isSafeInteger(event.time)) addIndex(invalid, 'time', index);
    if (event.insert_id !== undefined && typeof event.insert_id !== 'string') addIndex(invalid, 'insert_id', index);
    for (const field of ['event_properties', 'user_properties', 'groups'] as const) {
      if (event[field] !== undefined && !isRecord(event[field])) addIndex(invalid, field, index);
    }
  }
  const hasMissing = Object.keys(missing).length > 0;
  if (hasMissing || Object.keys(invalid).length > 0 || Object.keys(shortIds).length > 0) {
    // Amplitude rejects the whole request and lists the offending event indexes.
    req.journal.note = `${events.length} events rejected`;
    return jsonReply(400, {
      code: 400,
      error: hasMissing ? 'Request missing required field' : 'Invalid field values on some events',
      ...(hasMissing ? { events_with_missing_fields: missing } : {}),
      ...(Object.keys(invalid).length ? { events_with_invalid_fields: invalid } : {}),
      ...(Object.keys(shortIds).length ? { events_with_invalid_id_lengths: shortIds } : {}),
    });
  }

  const serverUploadTime = Date.now();
  let duplicates = 0;
  for (const event of events as Array<Record<string, unknown>>) {
    state.eventsReceived += 1;
    const insertId = event.insert_id as string | undefined;
    if (insertId !== undefined) {
      const key = JSON.stringify([event.device_id ?? null, event.user_id ?? null, insertId]);
      if (state.seenInsertIds.has(key)) {
        duplicates += 1;
        continue;
      }
      state.seenInsertIds.add(key);
    }
    state.events.push({ ...event, event_type: event.event_type as string, time: (event.time as number | undefined) ?? serverUploadTime });
  }
  req.journal.note = `${events.length} events${duplicates ? `, ${duplicates} duplicates` : ''}`;
  return jsonReply(200, {
    code: 200,
    events_ingested: events.length,
    payload_size_bytes: req.body.length,
    server_upload_time: serverUploadTime,
  });
}

export const amplitudeService: Service<AmplitudeState> = { name: 'amplitude', handle, errorReply };
