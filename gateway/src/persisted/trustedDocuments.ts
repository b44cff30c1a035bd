/**
 * Resolves a GraphQL request against the trusted-documents manifest before
 * Apollo Server sees it (PERSISTED_DOCUMENTS):
 * - `off`: requests pass as they are.
 * - `allow`: a known document may be sent by id — `documentId` ("sha256:<hex>"
 *   or "<hex>") or an APQ hash without query text — and free-form queries still run.
 * - `enforce`: only documents of the manifest run, by id, by APQ hash, or as
 *   text whose sha256 is in the manifest; anything else is refused with 400.
 * Production Mini Apps then never send query text.
 */
import { sha256, type DocumentManifest } from './manifest.ts';

export type PersistedMode = 'off' | 'allow' | 'enforce';

export interface GraphQLRequestFields {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
  [key: string]: unknown;
}

export type Resolution = { ok: true; request: GraphQLRequestFields } | { ok: false; status: number; code: string; message: string };

const refuse = (code: string, message: string): Resolution => ({ ok: false, status: 400, code, message });

function apqHash(extensions: unknown): string | undefined {
  const pq = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof pq?.sha256Hash === 'string' ? pq.sha256Hash.toLowerCase() : undefined;
}

export function createTrustedDocuments(mode: PersistedMode, manifest: DocumentManifest) {
  // Hashed per request, never memoised by text: a memo keyed by 100 KB query strings is how memory leaks.
  const hashOfText = (text: string) => sha256(text);

  return {
    mode,
    resolve(request: GraphQLRequestFields): Resolution {
      const hash = apqHash(request.extensions);
      // Apollo would answer this with a code-less error; it is the client's mistake, and a stable code says so.
      if (hash && typeof request.query === 'string' && sha256(request.query) !== hash) {
        return refuse(
          'PERSISTED_QUERY_HASH_MISMATCH',
          'extensions.persistedQuery.sha256Hash is not the sha256 (hex) of the query sent with it: hash the exact query text',
        );
      }
      if (mode === 'off') return { ok: true, request };
      if (request.documentId !== undefined) {
        if (typeof request.documentId !== 'string') return refuse('BAD_REQUEST', '`documentId` must be a string');
        const id = request.documentId.replace(/^sha256:/, '').toLowerCase();
        const body = manifest.byHash.get(id);
        if (!body) return refuse('PERSISTED_DOCUMENT_NOT_FOUND', `Unknown documentId ${request.documentId}`);
        const { documentId: _id, ...rest } = request;
        return { ok: true, request: { ...rest, query: body } };
      }
      if (typeof request.query !== 'string' && hash) {
        const body = manifest.byHash.get(hash);
        if (body) return { ok: true, request: { ...request, query: body } };
        // allow: ordinary APQ (Apollo answers PERSISTED_QUERY_NOT_FOUND and the client registers it).
        return mode === 'enforce' ? refuse('PERSISTED_DOCUMENT_NOT_FOUND', `Unknown persisted document ${hash}`) : { ok: true, request };
      }
      if (mode === 'enforce' && typeof request.query === 'string' && !manifest.byHash.has(hashOfText(request.query))) {
        return refuse('PERSISTED_DOCUMENT_REQUIRED', 'This endpoint only runs trusted documents: send a documentId from the manifest');
      }
      return { ok: true, request };
    },
  };
}
export type TrustedDocuments = ReturnType<typeof createTrustedDocuments>;
