// Error construction identical to @apollo/gateway 2.14.4:
// - subgraph GraphQL errors -> downstreamServiceError (path re-rooted, serviceName added)
// - HTTP / network / body failures -> the same messages RemoteGraphQLDataSource
//   (make-fetch-happen / minipass-fetch) produces.
import { GraphQLError } from './graphql.ts';
import { ERRORS, errorCodeDef } from './apollo.ts';
import { isJsonContentType, type RawOutcome } from './transport.ts';

type Obj = Record<string, unknown>;
export type PathElement = string | number;
export type ErrorPathGenerator = (errorPath: unknown) => PathElement[] | undefined;

export function downstreamServiceError(originalError: Obj, serviceName: string, generateErrorPath: ErrorPathGenerator): GraphQLError {
  let message = originalError['message'] as string | undefined;
  const extensions = originalError['extensions'] as Obj | undefined;
  if (!message) message = `Error while fetching subquery from service "${serviceName}"`;
  const errorOptions = {
    originalError: originalError as unknown as Error,
    path: generateErrorPath(originalError['path']),
    extensions: { ...extensions, serviceName },
  };
  const codeDef = errorCodeDef(originalError as unknown as GraphQLError);
  if (!codeDef && extensions?.['code']) {
    return new GraphQLError(message, errorOptions);
  }
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, errorOptions);
}

/** The error minipass-fetch raises for a failed request (message format kept). */
export class FetchError extends Error {
  readonly code: string | undefined;
  readonly errno: string | undefined;
  readonly type: string;
  constructor(message: string, type: string, systemError?: { code?: string; errno?: string | number }) {
    super(message);
    this.name = 'FetchError';
    this.type = type;
    this.code = systemError?.code;
    this.errno = systemError?.errno === undefined ? undefined : String(systemError.errno);
  }
}

type ResponseOutcome = Extract<RawOutcome, { kind: 'response' }>;

/** RemoteGraphQLDataSource.parseBody: JSON for JSON content types, else text. */
export function parseBody(o: ResponseOutcome, json: (o: ResponseOutcome) => unknown): unknown {
  if (isJsonContentType(o.contentType)) {
    try {
      return json(o);
    } catch (e) {
      throw new FetchError(`invalid json response body at ${o.url} reason: ${(e as Error).message}`, 'invalid-json');
    }
  }
  return o.text;
}

/** RemoteGraphQLDataSource.errorFromResponse */
export function errorFromResponse(o: ResponseOutcome, json: (o: ResponseOutcome) => unknown): GraphQLError {
  const body = parseBody(o, json);
  const extensions: Obj = {
    response: { url: o.url, status: o.status, statusText: o.statusText, body },
  };
  if (o.status === 401) extensions['code'] = 'UNAUTHENTICATED';
  else if (o.status === 403) extensions['code'] = 'FORBIDDEN';
  return new GraphQLError(`${o.status}: ${o.statusText}`, { extensions });
}

export function networkError(url: string, error: Error): FetchError {
  const e = error as Error & { code?: string; errno?: string | number };
  return new FetchError(`request to ${url} failed, reason: ${e.message}`, 'system', e);
}

/** A plan contains something the engine does not execute (a planner upgrade added a node kind). */
export class UnsupportedPlanError extends Error {
  constructor(what: string) {
    super(`Unsupported query plan: ${what}`);
    this.name = 'UnsupportedPlanError';
  }
}

/** The planner cannot plan a valid operation: answered as a GraphQL error (code QUERY_PLANNING_FAILED), data null. */
export class QueryPlanningError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'QUERY_PLANNING_FAILED' } });
    this.name = 'QueryPlanningError';
  }
}
