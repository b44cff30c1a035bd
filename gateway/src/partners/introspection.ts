/**
 * Introspection on the partner endpoint, answered by graphql-js from the
 * contract schema. The federation engine is never asked: it would describe
 * the full API (Payment, Customer, User, mutations...).
 */
import { execute, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { PreparedOperation } from './document.ts';

export interface IntrospectionResult {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
}

export async function introspect(schema: GraphQLSchema, operation: PreparedOperation): Promise<IntrospectionResult> {
  const result = await execute({
    schema,
    document: operation.document,
    operationName: operation.operationName,
    variableValues: operation.variables,
  });
  // No data at all means the variables were refused before execution (GraphQL over HTTP: 400).
  const refused = result.data === undefined;
  const errors = result.errors?.map((e) => {
    const formatted = e.toJSON();
    return {
      ...formatted,
      extensions: { ...formatted.extensions, code: formatted.extensions?.code ?? (refused ? 'BAD_USER_INPUT' : 'INTERNAL_SERVER_ERROR') },
    };
  });
  return {
    status: refused ? 400 : 200,
    body: { ...(refused ? {} : { data: result.data as Record<string, unknown> | null }), ...(errors ? { errors } : {}) },
  };
}
