/**
 * Client mistakes get a 4xx with a stable `extensions.code` and a message that
 * says what to do (README "Error codes"). Three kinds of checks live here:
 * - nesting bounds on GET variables/extensions (POST bodies are checked when
 *   read, lib/http/nesting.ts), before variable coercion can blow the stack;
 * - an Apollo plugin that refuses an operationName the document does not define;
 * - a rewrite of the few request errors Apollo Server raises with a generic
 *   code or message (CSRF prevention, graphql-js' "Validation aborted.").
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { INPUT_TOO_DEEP, valueDepthExceeds } from '../../lib/http/nesting.ts';

export const ClientErrorCode = {
  /** JSON body or `variables`/`extensions` nested deeper than MAX_JSON_DEPTH. */
  INPUT_TOO_DEEP: INPUT_TOO_DEEP.code,
  /** GraphQL document nested deeper than the recursive parser can follow. */
  DOCUMENT_TOO_DEEP: 'DOCUMENT_TOO_DEEP',
  /** `operationName` names no operation of the document, or a multi-operation document without one. */
  OPERATION_NOT_FOUND: 'OPERATION_NOT_FOUND',
  /** APQ `sha256Hash` is not the sha256 of the query text sent with it. */
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** GET or a "simple" POST without a header that forces a CORS preflight. */
  PREFLIGHT_HEADER_REQUIRED: 'PREFLIGHT_HEADER_REQUIRED',
  /** Validation gave up: too many fields of one response name to compare. */
  OPERATION_TOO_COMPLEX: 'OPERATION_TOO_COMPLEX',
} as const;

export interface ClientError {
  status: number;
  code: string;
  message: string;
}

/** GET `variables` / `extensions` (JSON text) nested too deep; `undefined` when fine or not JSON (Apollo says why). */
export function checkGetParams(params: URLSearchParams): ClientError | undefined {
  for (const name of ['variables', 'extensions']) {
    const text = params.get(name);
    if (!text) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    if (valueDepthExceeds(value)) return INPUT_TOO_DEEP;
  }
  return undefined;
}

/** A named operation that the document does not define is the client's mistake (400), not an engine error. */
export function operationNamePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (operation) return;
          const names = document.definitions.flatMap((d) => (d.kind === 'OperationDefinition' ? [d.name?.value ?? '(anonymous)'] : []));
          const message = request.operationName
            ? `Unknown operationName "${request.operationName}": the document defines ${names.join(', ') || 'no operation'}`
            : `The document defines ${names.length} operations (${names.join(', ')}): send operationName to choose one`;
          throw new GraphQLError(message, { extensions: { code: ClientErrorCode.OPERATION_NOT_FOUND, http: { status: 400 } } });
        },
      };
    },
  };
}

const CSRF_MESSAGE =
  'Send `apollo-require-preflight: true` (or `x-apollo-operation-name: <name>`) with GET requests, or POST with ' +
  '`content-type: application/json`: a request a browser may send cross-site without a CORS preflight is refused (CSRF prevention)';

/**
 * Apollo Server raises these with a generic code or a message that does not say
 * what to do; the HTTP status is already a 400 and stays as it is.
 */
export function rewriteRequestError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.message.startsWith('This operation has been blocked as a potential Cross-Site Request Forgery')) {
    return { message: CSRF_MESSAGE, extensions: { code: ClientErrorCode.PREFLIGHT_HEADER_REQUIRED } };
  }
  // The parser is recursive: a document nested thousands deep overflows its stack, which Apollo reports as a parse error.
  if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && /Maximum call stack size exceeded/.test(formatted.message)) {
    return {
      message: 'The GraphQL document is nested too deeply to parse: select less deeply',
      extensions: { code: ClientErrorCode.DOCUMENT_TOO_DEEP },
    };
  }
  if (formatted.message === 'Validation aborted.') {
    return {
      message:
        'The operation is too complex to validate (too many selections of one response name to compare): send fewer repeated fields or aliases',
      extensions: { code: ClientErrorCode.OPERATION_TOO_COMPLEX },
    };
  }
  return formatted;
}
