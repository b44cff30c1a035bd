/**
 * Trusted documents: the persisted-documents manifests the gateway knows.
 * Reads graphql-codegen's client-preset format (`{"sha256:<hex>": "<document>"}`,
 * written by `npm run codegen` to schema/client/persisted-documents.json) and
 * Apollo's persisted-query manifest format (`{format: "apollo-persisted-query-manifest",
 * operations: [{id, body}]}`). Every id must be the sha256 of its body: that is
 * what lets the same hash work as a `documentId` and as an APQ hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface DocumentManifest {
  /** sha256 hex → document text (a Map, or the manifests and the live store together) */
  byHash: Pick<ReadonlyMap<string, string>, 'get' | 'has'>;
  size: number;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function parseManifest(json: unknown, source: string): Map<string, string> {
  const entries: [string, string][] = [];
  if (json && typeof json === 'object' && (json as { format?: unknown }).format === 'apollo-persisted-query-manifest') {
    for (const op of (json as { operations: { id: string; body: string }[] }).operations) entries.push([op.id, op.body]);
  } else if (json && typeof json === 'object') {
    for (const [id, body] of Object.entries(json as Record<string, unknown>)) {
      if (typeof body !== 'string') throw new Error(`${source}: entry ${id} is not a document string`);
      entries.push([id.replace(/^sha256:/, ''), body]);
    }
  } else {
    throw new Error(`${source}: not a persisted-documents manifest`);
  }
  const out = new Map<string, string>();
  for (const [id, body] of entries) {
    const hash = sha256(body);
    if (hash !== id.toLowerCase()) throw new Error(`${source}: id ${id} is not the sha256 of its document`);
    out.set(hash, body);
  }
  return out;
}

export function loadManifests(paths: readonly string[]): DocumentManifest & { byHash: Map<string, string> } {
  const byHash = new Map<string, string>();
  for (const path of paths) {
    for (const [hash, body] of parseManifest(JSON.parse(readFileSync(path, 'utf8')), path)) byHash.set(hash, body);
  }
  return { byHash, size: byHash.size };
}
