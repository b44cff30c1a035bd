// Error construction identical to @apollo/gateway 2.14.4:
// - subgraph GraphQL errors -> downstreamServiceError (path re-rooted, serviceName added)
// - HTTP / network / body failures -> the same messages RemoteGraphQLDataSource
//   (make-fetch-happen / minipass-fetch) produces.
import { GraphQLError, Kind, parse } from './graphql.ts';
import type { SelectionNode } from 'graphql';
import { ERRORS, assert, errorCodeDef } from '@apollo/federation-internals';
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

/** makeLazyErrorPathGenerator of executeQueryPlan.js */
export function makeErrorPathGenerator(isEntityFetch: boolean, cursorPath: readonly string[], fullResult: unknown): ErrorPathGenerator {
  let hydratedPaths: PathElement[][] | undefined;
  return (errorPath) => {
    const ep = errorPath as PathElement[] | undefined | null;
    if (isEntityFetch && typeof ep?.[1] === 'number') {
      if (!hydratedPaths) {
        hydratedPaths = [];
        generateHydratedPaths([], cursorPath, fullResult, hydratedPaths);
      }
      const hydratedPath = hydratedPaths[ep[1]] ?? [];
      return [...hydratedPath, ...ep.slice(2)];
    }
    return ep ? [...cursorPath, ...ep.slice()] : undefined;
  };
}

export function generateHydratedPaths(parent: PathElement[], path: readonly string[], data: unknown, result: PathElement[][]): void {
  const head = path[0];
  if (data == null) return;
  if (head == null) {
    result.push(parent.slice());
  } else if (head === '@') {
    assert(Array.isArray(data), 'expected array when encountering `@`');
    for (const [i, value] of (data as unknown[]).entries()) {
      parent.push(i);
      generateHydratedPaths(parent, path.slice(1), value, result);
      parent.pop();
    }
  } else if (typeof head === 'string') {
    if (Array.isArray(data)) {
      for (const [i, value] of data.entries()) {
        parent.push(i);
        generateHydratedPaths(parent, path, value, result);
        parent.pop();
      }
    } else if (Object.prototype.hasOwnProperty.call(data, head)) {
      const value = (data as Obj)[head];
      parent.push(head);
      generateHydratedPaths(parent, path.slice(1), value, result);
      parent.pop();
    }
  } else {
    assert(false, `unknown path part "${head}"`);
  }
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

/**
 * A subgraph fetch that failed as a whole (unreachable, timed out, non-2xx, not JSON) as opposed
 * to a subgraph that answered with GraphQL errors.
 */
export function isSubgraphUnavailable(error: unknown): boolean {
  if (error instanceof FetchError) return true;
  return error instanceof GraphQLError && !!(error.extensions as Obj | undefined)?.['response'];
}

export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';

/**
 * Partial-data mode (FastGatewayOptions.partialFailures): instead of one path-less error carrying
 * the subgraph's address, one error per field the failed fetch should have filled, with a stable
 * code and the subgraph's name. The fields stay null; everything else in the response is kept.
 */
export function serviceUnavailableErrors(serviceName: string, paths: readonly PathElement[][]): GraphQLError[] {
  const message = `Service "${serviceName}" is unavailable`;
  const extensions = { code: SERVICE_UNAVAILABLE, serviceName, service: serviceName };
  if (paths.length === 0) return [new GraphQLError(message, { extensions })];
  return paths.map((path) => new GraphQLError(message, { path, extensions }));
}

/** Response keys a fetch fills: root fields, or the fields selected under `_entities`. */
export function fetchedFieldKeys(operation: string, isEntityFetch: boolean): string[] {
  const document = parse(operation);
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!op || op.kind !== Kind.OPERATION_DEFINITION) return [];
  const fragments = new Map<string, readonly SelectionNode[]>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet.selections);
  const keys = new Set<string>();
  const collect = (selections: readonly SelectionNode[], entities: boolean): void => {
    for (const s of selections) {
      if (s.kind === Kind.INLINE_FRAGMENT) collect(s.selectionSet.selections, false);
      else if (s.kind === Kind.FRAGMENT_SPREAD) collect(fragments.get(s.name.value) ?? [], false);
      else if (s.kind === Kind.FIELD) {
        if (entities && s.name.value === '_entities' && s.selectionSet) collect(s.selectionSet.selections, false);
        else if (s.name.value !== '__typename') keys.add(s.alias?.value ?? s.name.value);
      }
    }
  };
  collect(op.selectionSet.selections, isEntityFetch);
  return [...keys];
}

/** Concrete response paths of `keys` under the entities a fetch at `cursorPath` covers. */
export function failedFieldPaths(keys: readonly string[], isEntityFetch: boolean, cursorPath: readonly string[], root: unknown): PathElement[][] {
  if (!isEntityFetch) return keys.map((k) => [...cursorPath, k]);
  const entityPaths: PathElement[][] = [];
  generateHydratedPaths([], cursorPath, root, entityPaths);
  return entityPaths.flatMap((p) => keys.map((k) => [...p, k]));
}
