/**
 * Client mistakes: each answers a 4xx with a stable, documented code and a
 * message that says what to do, and leaves no stack trace in the gateway's log
 * (README "Error codes").
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';
import { hashApiKey } from '../gateway/src/partners/keys.ts';

const PARTNER_KEY = 'client-errors-test-partner-key';

let gateway: ExtraGateway;
beforeAll(async () => {
  // The query limits (tokens, aliases, cost: test/safety/queryLimits.test.ts) would refuse the 5,000-deep document and the
  // 1,000 aliases before anything else; raised here so these cases reach the guards behind it.
  gateway = await startExtraGateway(
    {
      LOG_LEVEL: 'info',
      NODE_ENV: 'development',
      PARTNER_API_KEYS: `errors-test:${hashApiKey(PARTNER_KEY)}`,
      MAX_QUERY_TOKENS: '100000',
      MAX_QUERY_ALIASES: '5000',
      MAX_QUERY_COST: '100000000',
    },
    { captureOutput: true },
  );
});
afterAll(async () => gateway?.stop());

interface ErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}
const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
async function refusal(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, code: body.errors[0]!.extensions.code, message: body.errors[0]!.message };
}
const nestedJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('client errors', () => {
  it('variables nested 5,000 deep: 400 INPUT_TOO_DEEP (POST and GET)', async () => {
    const body = `{"query":"query($id: ID!) { product(id: $id) { id } }","variables":{"id":${nestedJson(5_000)}}}`;
    const res = await refusal(await post(body));
    expect(res).toMatchObject({ status: 400, code: 'INPUT_TOO_DEEP' });
    expect(res.message).toMatch(/nested more than 64 levels/);
    const get = await fetch(
      `${gateway.url}?query=${encodeURIComponent('query($id: ID!) { product(id: $id) { id } }')}&variables=${encodeURIComponent(`{"id":${nestedJson(200)}}`)}`,
      {
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(await refusal(get)).toMatchObject({ status: 400, code: 'INPUT_TOO_DEEP' });
    // Ordinary nesting still works.
    const ok = await post(JSON.stringify({ query: '{ products { id } }', variables: { a: { b: { c: [1, [2]] } } } }));
    expect(ok.status).toBe(200);
  });

  it('the partner endpoint bounds variables the same way (POST and GET)', async () => {
    const url = gateway.url.replace(/\/graphql$/, '/public/graphql');
    const headers = { 'content-type': 'application/json', 'x-api-key': PARTNER_KEY };
    const body = `{"query":"query($id: ID!) { product(id: $id) { id } }","variables":{"id":${nestedJson(5_000)}}}`;
    expect(await refusal(await fetch(url, { method: 'POST', headers, body }))).toMatchObject({ status: 400, code: 'INPUT_TOO_DEEP' });
    const search = `?query=${encodeURIComponent('query($id: ID!) { product(id: $id) { id } }')}&variables=${encodeURIComponent(`{"id":${nestedJson(200)}}`)}`;
    expect(await refusal(await fetch(`${url}${search}`, { headers }))).toMatchObject({ status: 400, code: 'INPUT_TOO_DEEP' });
  });

  it('a document nested 5,000 deep: 400 DOCUMENT_TOO_DEEP, not a parser stack overflow', async () => {
    const query = `{ products ${'{ id '.repeat(5_000)}${'}'.repeat(5_000)} }`;
    expect(await refusal(await post(JSON.stringify({ query })))).toMatchObject({ status: 400, code: 'DOCUMENT_TOO_DEEP' });
  });

  it('an unknown operationName, or none for a multi-operation document: 400 OPERATION_NOT_FOUND naming the operations', async () => {
    const unknown = await refusal(await post(JSON.stringify({ query: 'query A { products { id } }', operationName: 'B' })));
    expect(unknown).toMatchObject({ status: 400, code: 'OPERATION_NOT_FOUND' });
    expect(unknown.message).toMatch(/"B".*defines A/);
    const missing = await refusal(await post(JSON.stringify({ query: 'query A { products { id } } query B { products { title } }' })));
    expect(missing).toMatchObject({ status: 400, code: 'OPERATION_NOT_FOUND' });
    expect(missing.message).toMatch(/send operationName/);
    const chosen = await post(JSON.stringify({ query: 'query A { products { id } } query B { products { title } }', operationName: 'B' }));
    expect(chosen.status).toBe(200);
  });

  it('an APQ hash that is not the sha256 of its query: 400 PERSISTED_QUERY_HASH_MISMATCH', async () => {
    const sha256Hash = createHash('sha256').update('something else').digest('hex');
    const res = await refusal(
      await post(JSON.stringify({ query: '{ products { id } }', extensions: { persistedQuery: { version: 1, sha256Hash } } })),
    );
    expect(res).toMatchObject({ status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH' });
  });

  it('1,000 copies of one alias: 400 OPERATION_TOO_COMPLEX with the reason, not "Validation aborted."', async () => {
    const query = `{ ${Array.from({ length: 1_000 }, () => 'a: products { id }').join(' ')} }`;
    const res = await refusal(await post(JSON.stringify({ query })));
    expect(res).toMatchObject({ status: 400, code: 'OPERATION_TOO_COMPLEX' });
    expect(res.message).toMatch(/too complex.*fewer repeated fields or aliases/);
  });

  it('CSRF prevention says which header to send: 400 PREFLIGHT_HEADER_REQUIRED', async () => {
    const get = await refusal(await fetch(`${gateway.url}?query=${encodeURIComponent('{ products { id } }')}`));
    expect(get).toMatchObject({ status: 400, code: 'PREFLIGHT_HEADER_REQUIRED' });
    expect(get.message).toMatch(/apollo-require-preflight: true/);
    const form = await refusal(await post('query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(form).toMatchObject({ status: 400, code: 'PREFLIGHT_HEADER_REQUIRED' });
  });

  it('none of these left a stack trace or a RangeError in the log', () => {
    const log = gateway.output();
    expect(log).not.toMatch(/RangeError|Maximum call stack|\n\s+at |"stack":"[^"]/);
  });
});
