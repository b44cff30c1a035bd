/** The internal identity token: signed by the gateway, verified (and remembered until expiry) by subgraphs. */
import { describe, expect, it } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier, InternalTokenError } from '../lib/internalToken.ts';
import { subgraphHeadersFor } from '../gateway/src/context.ts';

const SECRET = 's'.repeat(40);
const identity = { userId: '42', profile: { firstName: 'A', isPremium: false }, roles: [] as [], audience: 'miniapp' as const };

describe('internal token', () => {
  it('round-trips the identity, and re-uses one token per identity while it is fresh', async () => {
    let clock = 1_800_000_000_000;
    const sign = createInternalTokenSigner(SECRET, () => clock);
    const verify = createInternalTokenVerifier(SECRET, () => clock);
    const token = await sign(identity);
    expect(await sign(identity)).toBe(token);
    expect(await verify(`Bearer ${token}`)).toEqual(identity);
    clock += 31_000; // under 30 s of life left: a new token
    expect(await sign(identity)).not.toBe(token);
  });

  it('stops accepting a remembered token once it expires, and never accepts another key', async () => {
    let clock = 1_800_000_000_000;
    const token = await createInternalTokenSigner(SECRET, () => clock)(identity);
    const verify = createInternalTokenVerifier(SECRET, () => clock);
    await verify(`Bearer ${token}`);
    clock += 66_000; // past exp plus the 5 s of clock skew subgraphs tolerate between hosts
    await expect(verify(`Bearer ${token}`)).rejects.toBeInstanceOf(InternalTokenError);
    const other = createInternalTokenVerifier('o'.repeat(40), () => clock - 66_000);
    await expect(other(`Bearer ${token}`)).rejects.toThrow(/invalid internal token/);
    await expect(verify(undefined)).rejects.toThrow(/missing/);
  });
});

describe('subgraph headers of a request', () => {
  it('carry its token; requests with the same token get the same read-only headers object (the engine dedups by it)', () => {
    const a = subgraphHeadersFor({ internalToken: 'token-a' });
    expect(a).toEqual({ authorization: 'Bearer token-a' });
    expect(subgraphHeadersFor({ internalToken: 'token-a' })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(subgraphHeadersFor({ internalToken: 'token-b' })).toEqual({ authorization: 'Bearer token-b' });
    expect(subgraphHeadersFor({ internalToken: undefined })).toBeUndefined();
  });
});
