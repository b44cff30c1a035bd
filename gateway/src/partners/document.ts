/**
 * Turns a partner's request fields into an operation the endpoint may run:
 * parsed (bounded), validated against the public contract only, resolved to
 * one query operation. Validating against the contract (not the full API) is
 * what keeps error messages and "Did you mean" suggestions inside it.
 *
 * It also tells introspection apart: `__schema` / `__type` are answered from
 * the contract by graphql-js and must never reach the federation engine,
 * which would describe the whole API. An operation mixing them with data
 * fields is refused rather than split.
 */
import {
  GraphQLError,
  Kind,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { RequestFields } from './request.ts';

/** Far above any sensible catalog query, far below what costs real CPU to parse. */
const MAX_TOKENS = 2_000;
const MAX_VALIDATION_ERRORS = 10;
const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type']);

export interface PreparedOperation {
  ok: true;
  query: string;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  /** Root field names (not aliases) the operation selects, through fragments. */
  rootFields: string[];
  /** Only meta fields (`__schema`, `__type`, `__typename`) at the root: answered from the contract. */
  introspection: boolean;
}

export type Prepared = PreparedOperation | { ok: false; status: number; errors: GraphQLFormattedError[] };

function fail(code: string, message: string, status = 400): Prepared {
  return { ok: false, status, errors: [{ message, extensions: { code } }] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field names at the root, following fragment spreads and inline fragments (skip/include ignored: conservative). */
function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names: string[] = [];
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

export function prepareOperation(schema: GraphQLSchema, fields: RequestFields): Prepared {
  const { query, operationName, variables } = fields;
  if (typeof query !== 'string' || query.trim() === '') {
    return fail('BAD_REQUEST', 'Send the operation text as `query` (persisted queries are not supported on the public endpoint)');
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
    return fail('BAD_REQUEST', '`operationName` must be a string');
  if (variables !== undefined && variables !== null && !isPlainObject(variables))
    return fail('BAD_REQUEST', '`variables` must be an object');

  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: MAX_TOKENS });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return {
      ok: false,
      status: 400,
      errors: [{ message: error.message, locations: error.locations, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
    };
  }

  const invalid = validate(schema, document, specifiedRules, { maxErrors: MAX_VALIDATION_ERRORS });
  if (invalid.length > 0) {
    return {
      ok: false,
      status: 400,
      errors: invalid.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })),
    };
  }

  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) {
    return fail(
      'OPERATION_RESOLUTION_FAILURE',
      operationName ? `Unknown operation named "${operationName}"` : 'Send `operationName`: the document has several operations',
    );
  }
  // graphql-js 16 validation does not reject operation types the schema lacks; the contract is read-only.
  if (operation.operation !== 'query')
    return fail('GRAPHQL_VALIDATION_FAILED', `The public API has no ${operation.operation} operations: only queries are supported`);

  const rootFields = rootFieldNames(document, operation);
  const asksIntrospection = rootFields.some((f) => INTROSPECTION_ROOTS.has(f));
  const onlyMeta = rootFields.every((f) => f.startsWith('__'));
  if (asksIntrospection && !onlyMeta)
    return fail('GRAPHQL_VALIDATION_FAILED', 'Send introspection (__schema, __type) as an operation of its own');

  return {
    ok: true,
    query,
    document,
    operationName: operation.name?.value ?? (typeof operationName === 'string' ? operationName : undefined),
    variables: isPlainObject(variables) ? variables : undefined,
    rootFields,
    introspection: onlyMeta,
  };
}
