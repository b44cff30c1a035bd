/**
 * What GraphQL over SSE and GraphQL over WebSocket share: turning a request
 * (after trusted-document resolution) into execution arguments, and running
 * them. Subscriptions go to the engine's subscription executor (federated:
 * each event resolves other subgraphs' fields through the query plan);
 * queries and mutations sent over a stream run through Apollo Server like any
 * other request. Streams count against the per-user cap; `admit` is where the
 * gateway's query limits and rate limits hook in (see README "Realtime").
 */
import {
  GraphQLError,
  parse,
  validate,
  specifiedRules,
  getOperationAST,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type ValidationRule,
  type GraphQLFormattedError,
} from 'graphql';
import type { IncomingMessage } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Identity } from '../../../lib/internalToken.ts';
import { mapAsyncIterator } from '@tma/engine';
import type { GatewayContext } from '../context.ts';
import type { FastGateway } from '@tma/engine';
import type { GraphQLRequestFields, TrustedDocuments } from '../persisted/trustedDocuments.ts';
import type { StreamRegistry, Transport } from './registry.ts';

/** The contextValue of an operation on a stream. */
export interface StreamContext {
  identity: Identity;
  transport: Transport;
  /** The query text (queries/mutations are handed to Apollo Server as text). */
  query: string;
}

/** A refusal before anything runs: the code says why (stable, documented). */
export interface Admission {
  identity: Identity;
  /** The HTTP request (SSE, multipart) or WebSocket upgrade request the operation came on (client address). */
  request: IncomingMessage;
  /** The operation as sent (after trusted-document resolution), for the query limits. */
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  document: DocumentNode;
  operationType: 'query' | 'mutation' | 'subscription';
  transport: Transport;
}
/**
 * Hook for the gateway's query limits and rate limits: return (or throw) a
 * GraphQLError to refuse the operation; every stream operation and every
 * deferred query passes here before it runs.
 */
export type AdmitOperation = (admission: Admission) => Promise<GraphQLError | undefined> | GraphQLError | undefined;

export interface StreamExecutionOptions {
  engine: FastGateway | undefined;
  apollo: ApolloServer<GatewayContext>;
  trusted: TrustedDocuments;
  registry: StreamRegistry;
  signToken?: (identity: Identity) => Promise<string>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  admit?: AdmitOperation;
  /** Extra validation rules (the limits of issue 7 can add depth/cost rules here). */
  validationRules?: readonly ValidationRule[];
}

export type Prepared = { ok: true; args: ExecutionArgs & { contextValue: StreamContext } } | { ok: false; errors: GraphQLError[] };

const codeError = (code: string, message: string) => new GraphQLError(message, { extensions: { code } });

export function createStreamExecution(options: StreamExecutionOptions) {
  const { engine, apollo, registry } = options;
  const rules = [...specifiedRules, ...(options.validationRules ?? [])];

  const engineContext = async (identity: Identity): Promise<GatewayContext> => ({
    identity,
    internalToken: options.signToken ? await options.signToken(identity) : undefined,
  });

  function formatResult(result: ExecutionResult): ExecutionResult {
    if (!result.errors?.length) return result;
    const errors = result.errors.map((e) => {
      const error =
        e instanceof GraphQLError
          ? e
          : new GraphQLError(String((e as { message?: unknown }).message ?? 'error'), {
              extensions: (e as { extensions?: Record<string, unknown> }).extensions,
            });
      return options.formatError(error.toJSON(), error) as unknown as GraphQLError;
    });
    return { ...result, errors };
  }

  /** Request fields → validated execution arguments (or the errors to answer). */
  async function prepare(
    fields: GraphQLRequestFields,
    identity: Identity,
    transport: Transport,
    request: IncomingMessage,
  ): Promise<Prepared> {
    const resolved = options.trusted.resolve(fields);
    if (!resolved.ok) return { ok: false, errors: [codeError(resolved.code, resolved.message)] };
    const { query, variables, operationName } = resolved.request;
    if (typeof query !== 'string')
      return { ok: false, errors: [codeError('BAD_REQUEST', 'Send the operation as `query` (or a `documentId` from the manifest)')] };
    if (!engine) return { ok: false, errors: [codeError('BAD_REQUEST', 'Streaming needs GATEWAY_ENGINE=fast')] };
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { ok: false, errors: [new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
    }
    const schema = transport === 'multipart' ? engine.schemaWithDefer : engine.schema;
    const validationErrors = validate(schema, document, rules);
    if (validationErrors.length) {
      return {
        ok: false,
        errors: validationErrors.map(
          (e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        ),
      };
    }
    const name = typeof operationName === 'string' ? operationName : undefined;
    const operation = getOperationAST(document, name);
    if (!operation) return { ok: false, errors: [codeError('BAD_REQUEST', 'Could not determine the operation to run')] };
    if (operation.operation === 'subscription' && !identity.userId) {
      return {
        ok: false,
        errors: [codeError('UNAUTHENTICATED', 'Subscriptions need a signed-in user: send `Authorization: tma <initData>`')],
      };
    }
    const variableValues = variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : undefined;
    try {
      const refused = await options.admit?.({
        identity,
        request,
        query,
        operationName: name,
        variables: variableValues,
        document,
        operationType: operation.operation,
        transport,
      });
      if (refused) return { ok: false, errors: [refused] };
    } catch (error) {
      return { ok: false, errors: [error instanceof GraphQLError ? error : codeError('RATE_LIMITED', 'Refused')] };
    }
    return {
      ok: true,
      args: {
        schema,
        document,
        operationName: name,
        variableValues,
        contextValue: { identity, transport, query },
      },
    };
  }

  /** Queries and mutations on a stream: one result, through Apollo Server (plugins, cache hints, masking). */
  async function execute(args: ExecutionArgs): Promise<ExecutionResult> {
    const ctx = args.contextValue as StreamContext;
    const response = await apollo.executeOperation(
      { query: ctx.query, variables: args.variableValues ?? undefined, operationName: args.operationName ?? undefined },
      { contextValue: await engineContext(ctx.identity) },
    );
    if (response.body.kind === 'single') return response.body.singleResult as ExecutionResult;
    return { errors: [codeError('BAD_REQUEST', 'Incremental results are not sent on this transport')] };
  }

  /** Subscriptions: a per-user stream slot, then the engine's federated stream. */
  async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const ctx = args.contextValue as StreamContext;
    let stream: AsyncIterableIterator<ExecutionResult> | undefined;
    const lease = registry.acquire(ctx.identity.userId!, ctx.transport, () => void stream?.return?.());
    if (!lease)
      return {
        errors: [codeError('TOO_MANY_STREAMS', 'Too many open subscriptions for this user (SUBSCRIPTIONS_PER_USER); close one first')],
      };
    let result;
    try {
      result = await engine!.subscribe({
        document: args.document,
        operationName: args.operationName,
        variables: args.variableValues,
        context: () => engineContext(ctx.identity),
      });
    } catch (error) {
      lease.release();
      throw error;
    }
    if (!(Symbol.asyncIterator in result)) {
      lease.release();
      return result as ExecutionResult;
    }
    stream = mapAsyncIterator(
      result,
      (value) => {
        lease.delivered();
        return value as ExecutionResult;
      },
      { onClose: () => lease.release() },
    );
    return stream;
  }

  return { prepare, execute, subscribe, formatResult, engineContext };
}
export type StreamExecution = ReturnType<typeof createStreamExecution>;
