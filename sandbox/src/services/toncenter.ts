/**
 * toncenter API v2 emulator (EXTERNAL-APIS.md §4.4): `GET /api/v2/getTransactions` (and the same
 * method over `POST /api/v2/jsonRPC`) for the shop wallet, newest first, `lt`+`hash` paging.
 *
 * Sandbox-only helper:
 *   POST /toncenter/__sandbox/transfers {source?, destination?, value, comment?, bounced?, count?}
 *        (count: that many identical transfers at once, up to 5000, e.g. dust after a payment)
 *        appends an incoming transfer (monotonic lt, hash derived from the content) and returns it.
 *
 * Addresses: requests accept raw (`0:<hex>`) and user-friendly forms. Responses use the raw form
 * for the account and the user-friendly bounceable form for message source/destination, as
 * toncenter does, so connectors must normalize before comparing with TON_WALLET_ADDRESS.
 */
import { createHash } from 'node:crypto';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { SEED_TON_TRANSFERS } from '../seed.ts';
import { isRecord, jsonReply, parseJson, type Reply, type Service, type ServiceRequest } from '../http.ts';

export interface TonAddress {
  workchain: number;
  /** 32-byte account id, lower-case hex. */
  hash: string;
}

// ---------------------------------------------------------------------------------------------
// Addresses (raw `wc:hex` and 36-byte user-friendly base64 with CRC16-XMODEM)

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function parseTonAddress(input: string): TonAddress | undefined {
  const raw = /^(-?\d+):([0-9a-fA-F]{64})$/.exec(input.trim());
  if (raw) return { workchain: Number(raw[1]), hash: raw[2]!.toLowerCase() };
  if (!/^[A-Za-z0-9+/_-]{48}$/.test(input)) return undefined;
  const bytes = Buffer.from(input.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== 36) return undefined;
  if (crc16(bytes.subarray(0, 34)) !== bytes.readUInt16BE(34)) return undefined;
  return { workchain: bytes.readInt8(1), hash: bytes.subarray(2, 34).toString('hex') };
}

export function rawAddress(address: TonAddress): string {
  return `${address.workchain}:${address.hash}`;
}

/** User-friendly form: bounceable (EQ...) by default, URL-safe base64. */
export function friendlyAddress(address: TonAddress, bounceable = true): string {
  const bytes = Buffer.alloc(36);
  bytes[0] = bounceable ? 0x11 : 0x51;
  bytes.writeInt8(address.workchain, 1);
  Buffer.from(address.hash, 'hex').copy(bytes, 2);
  bytes.writeUInt16BE(crc16(bytes.subarray(0, 34)), 34);
  return bytes.toString('base64url');
}

// ---------------------------------------------------------------------------------------------
// State

export interface TransferInput {
  /** Raw sender address; empty for an external message. */
  source: string;
  /** Raw destination address. */
  destination: string;
  value: string;
  comment: string;
  bounced: boolean;
  utime: number;
  lt: bigint;
}

export interface ToncenterState {
  /** Transactions per raw account address, oldest first. */
  transactions: Map<string, Array<Record<string, unknown>>>;
  lastLt: bigint;
}

const EMPTY_CELL_BOC = 'te6cckEBAQEAAgAAAEysuc0=';
/** One-cell BoC holding 0xFFFFFFFF (the bounce prefix) followed by the original op 0 (a comment). */
const BOUNCED_BODY_BOC = Buffer.from('b5ee9c72' + '0101010100' + '0a00' + '0010' + 'ffffffff00000000', 'hex').toString('base64');

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function buildIncomingTransaction(input: TransferInput): Record<string, unknown> {
  const destination = parseTonAddress(input.destination)!;
  const source = input.source ? parseTonAddress(input.source) : undefined;
  const lt = input.lt.toString();
  // v2 messages have no `bounced` flag: a bounce shows as a body starting with 0xFFFFFFFF and no comment.
  const comment = input.bounced ? '' : input.comment;
  // Deterministic: the same transfer at the same lt always gets the same hash.
  const identity = JSON.stringify([input.destination, lt, input.source, input.value, input.comment, input.bounced]);
  const inMsg: Record<string, unknown> = {
    '@type': 'ext.message',
    hash: sha256(`msg:${identity}`).toString('base64'),
    source: source ? friendlyAddress(source) : '',
    destination: friendlyAddress(destination),
    value: input.value,
    extra_currencies: [],
    fwd_fee: source ? '266669' : '0',
    ihr_fee: '0',
    created_lt: (input.lt - 1n).toString(),
    body_hash: sha256(`body:${input.comment}`).toString('base64'),
    msg_data: comment
      ? { '@type': 'msg.dataText', text: Buffer.from(comment, 'utf8').toString('base64') }
      : { '@type': 'msg.dataRaw', body: input.bounced ? BOUNCED_BODY_BOC : EMPTY_CELL_BOC, init_state: '' },
    message: comment,
  };
  return {
    '@type': 'ext.transaction',
    address: { '@type': 'accountAddress', account_address: rawAddress(destination) },
    account: rawAddress(destination),
    utime: input.utime,
    data: EMPTY_CELL_BOC,
    transaction_id: { '@type': 'internal.transactionId', lt, hash: sha256(`tx:${identity}`).toString('base64') },
    fee: '2831',
    storage_fee: '2831',
    other_fee: '0',
    in_msg: inMsg,
    out_msgs: [],
  };
}

function append(state: ToncenterState, input: TransferInput): Record<string, unknown> {
  const tx = buildIncomingTransaction(input);
  const key = input.destination;
  const list = state.transactions.get(key) ?? [];
  list.push(tx);
  state.transactions.set(key, list);
  return tx;
}

export function createToncenterState(): ToncenterState {
  const state: ToncenterState = { transactions: new Map(), lastLt: 0n };
  const wallet = rawAddress(parseTonAddress(SANDBOX_CREDENTIALS.tonWalletAddress)!);
  for (const seed of SEED_TON_TRANSFERS) {
    append(state, { ...seed, source: rawAddress(parseTonAddress(seed.source)!), destination: wallet, bounced: false, lt: BigInt(seed.lt) });
  }
  // New transfers get lt derived from the clock (microseconds), so lt keeps growing across
  // sandbox restarts: a payment watcher that persisted "last processed lt" must still see them.
  state.lastLt = BigInt(Date.now()) * 1000n;
  return state;
}

// ---------------------------------------------------------------------------------------------
// getTransactions

function errorReply(status: number, message: string): Reply {
  if (status === 429) return jsonReply(429, { ok: false, code: 429, error: 'Ratelimit exceeded' });
  if (status === 504) return jsonReply(504, { ok: false, code: 504, error: 'LITE_SERVER_NETWORK timeout' });
  return jsonReply(status, { ok: false, code: status, error: message });
}

function hashBytes(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

type Params = Record<string, unknown>;

function paramString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/** Returns the `{ok, result}` reply, or an error reply with toncenter's 422 messages. */
function getTransactions(params: Params, state: ToncenterState): Reply {
  const addressText = paramString(params, 'address');
  const address = addressText ? parseTonAddress(addressText) : undefined;
  if (!address) return errorReply(422, 'failed to parse address');
  const limitText = paramString(params, 'limit') ?? '10';
  if (!/^-?\d+$/.test(limitText)) return errorReply(422, 'failed to parse limit');
  const limit = Number(limitText);
  if (limit <= 0) return errorReply(422, 'limit should be positive');
  if (limit > 1000) return errorReply(422, 'limit should be less or equal 1000');
  const ltText = paramString(params, 'lt');
  const hashText = paramString(params, 'hash');
  if ((ltText === undefined) !== (hashText === undefined)) return errorReply(422, 'lt and hash should be used together');
  if (ltText !== undefined && !/^-?\d+$/.test(ltText)) return errorReply(422, 'failed to parse lt');
  if (ltText !== undefined && BigInt(ltText) < 0n) return errorReply(422, 'lt should be non-negative');
  const startHash = hashText === undefined ? undefined : hashBytes(hashText);
  if (hashText !== undefined && !startHash) return errorReply(422, 'failed to parse hash');
  const toLtText = paramString(params, 'to_lt');
  if (toLtText !== undefined && !/^\d+$/.test(toLtText)) return errorReply(422, 'failed to parse lt');

  const all = [...(state.transactions.get(rawAddress(address)) ?? [])].reverse(); // newest first
  const ltOf = (tx: Record<string, unknown>) => BigInt((tx.transaction_id as { lt: string }).lt);
  let start = 0;
  if (ltText !== undefined && startHash) {
    // The page starts at (and includes) the transaction named by lt+hash, as on toncenter.
    start = all.findIndex((tx) => {
      const id = tx.transaction_id as { lt: string; hash: string };
      return id.lt === BigInt(ltText).toString() && Buffer.from(id.hash, 'base64').equals(startHash);
    });
    if (start < 0) return errorReply(404, 'transaction not found');
  }
  const toLt = toLtText === undefined ? undefined : BigInt(toLtText);
  const result = all
    .slice(start)
    .filter((tx) => toLt === undefined || ltOf(tx) > toLt)
    .slice(0, limit);
  return jsonReply(200, { ok: true, result });
}

// ---------------------------------------------------------------------------------------------
// Sandbox helper

function addTransfer(req: ServiceRequest, state: ToncenterState): Reply {
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return jsonReply(400, { ok: false, error: 'body must be a JSON object' });
  const body = parsed.value;
  const destinationText = typeof body.destination === 'string' ? body.destination : SANDBOX_CREDENTIALS.tonWalletAddress;
  const destination = parseTonAddress(destinationText);
  if (!destination) return jsonReply(400, { ok: false, error: 'destination is not a TON address' });
  const sourceText = body.source === undefined ? '0:' + 'cd'.repeat(32) : String(body.source);
  const source = sourceText === '' ? undefined : parseTonAddress(sourceText);
  if (sourceText !== '' && !source) return jsonReply(400, { ok: false, error: 'source is not a TON address' });
  const value = typeof body.value === 'number' ? String(body.value) : body.value;
  if (typeof value !== 'string' || !/^\d+$/.test(value))
    return jsonReply(400, { ok: false, error: 'value must be nanotons as a decimal string' });
  if (body.comment !== undefined && typeof body.comment !== 'string')
    return jsonReply(400, { ok: false, error: 'comment must be a string' });
  const count = body.count === undefined ? 1 : body.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 5000)
    return jsonReply(400, { ok: false, error: 'count must be an integer 1..5000' });
  let tx: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    state.lastLt = [state.lastLt + 1000n, BigInt(Date.now()) * 1000n].reduce((a, b) => (a > b ? a : b));
    tx = append(state, {
      source: source ? rawAddress(source) : '',
      destination: rawAddress(destination),
      value,
      comment: (body.comment as string | undefined) ?? '',
      bounced: body.bounced === true,
      utime: Math.floor(Date.now() / 1000),
      lt: state.lastLt,
    });
  }
  return jsonReply(200, tx);
}

// ---------------------------------------------------------------------------------------------
// Routing

function handle(req: ServiceRequest, state: ToncenterState): Reply {
  if (req.path === '/__sandbox/transfers' && req.method === 'POST') return addTransfer(req, state);
  // API keys are optional on toncenter (without one the real service allows 1 rps); the sandbox
  // has no key of its own, so any key is accepted.
  if (req.path === '/api/v2/getTransactions' && req.method === 'GET') {
    return getTransactions(Object.fromEntries(req.query), state);
  }
  if (req.path === '/api/v2/jsonRPC' && req.method === 'POST') {
    const parsed = parseJson(req.body);
    if (!parsed.ok || !isRecord(parsed.value)) return errorReply(422, 'params must contain an object');
    const { id, method, params } = parsed.value;
    if (method !== 'getTransactions')
      return jsonReply(404, { ok: false, code: 404, error: `method ${String(method)} is not emulated`, id, jsonrpc: '2.0' });
    if (!isRecord(params)) return errorReply(422, 'params must contain an object');
    const reply = getTransactions(params, state);
    req.journal.note = 'jsonRPC getTransactions';
    return { ...reply, body: { ...(reply.body as Record<string, unknown>), id, jsonrpc: '2.0' } };
  }
  return errorReply(404, 'Not Found');
}

export const toncenterService: Service<ToncenterState> = { name: 'toncenter', handle, errorReply };
