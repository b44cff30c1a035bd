/**
 * Query limits, checked before anything executes (README "Running in production"):
 *
 *   tokens   graphql-js's own parser bound (`maxTokens`)          → TOO_MANY_TOKENS
 *   depth    GraphQL Armor's max-depth rule (fragments followed)  → QUERY_TOO_DEEP
 *   aliases  GraphQL Armor's max-aliases rule                     → TOO_MANY_ALIASES
 *   cost     our estimate (costModel.ts): list fields multiply    → QUERY_TOO_COMPLEX
 *            their selection by `first`/`last` (a default size where there is none)
 *
 * The analysis runs once per document: its verdict and cost model are memoised under the
 * document's sha256 (never the text itself) in an LRU bounded in bytes. Only the cost is evaluated
 * per request, because `first: $n` depends on the variables. Documents that do not parse for other
 * reasons pass through, so Apollo answers them with its usual GRAPHQL_PARSE_FAILED.
 */
import { hash } from 'node:crypto';
import {
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationTypeNode,
  type ValidationContext,
} from 'graphql';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { LRUCache } from 'lru-cache';
import { buildCostModel, evaluateCost, type CostModel } from './costModel.ts';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  /** Size assumed for a list field without `first`/`last`. */
  defaultListSize: number;
}

export const QueryLimitCode = {
  TOO_MANY_TOKENS: 'TOO_MANY_TOKENS',
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  TOO_MANY_ALIASES: 'TOO_MANY_ALIASES',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
} as const;

export interface OperationFacts {
  type: OperationTypeNode;
  /** Root field names (not aliases) as selected, for per-field rate limits and scopes. */
  rootFields: string[];
  cost: CostModel;
}

type Analysis =
  | { kind: 'refused'; code: string; message: string }
  /** Not parseable for a reason other than size: Apollo reports it. */
  | { kind: 'unparsed' }
  | { kind: 'ok'; operations: Map<string | null, OperationFacts> };

export type LimitVerdict =
  | { ok: true; operation?: OperationFacts | undefined; cost?: number | undefined }
  | { ok: false; status: 400; code: string; message: string };

/** Memory for the memo: verdicts are small, cost models grow with the document (bounded by the token limit). */
const MEMO_BYTES = 8 * 1024 * 1024;

/** One-shot hash: no Hash object per call (this runs for every request). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

export function createQueryLimiter(limits: QueryLimits, getSchema: () => GraphQLSchema | undefined) {
  const memo = new LRUCache<string, { analysis: Analysis; bytes: number }>({
    maxSize: MEMO_BYTES,
    sizeCalculation: (entry) => entry.bytes,
  });

  function refusal(code: string, message: string): Analysis {
    return { kind: 'refused', code, message };
  }

  function analyse(query: string): Analysis {
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true, maxTokens: limits.maxTokens });
    } catch (error) {
      // graphql-js 16 says "more that N tokens" (sic); match both spellings so a fix upstream keeps working.
      if (error instanceof GraphQLError && /more tha[nt] \d+ tokens/.test(error.message)) {
        return refusal(
          QueryLimitCode.TOO_MANY_TOKENS,
          `The document has more than ${limits.maxTokens} tokens; send a smaller operation (limit MAX_QUERY_TOKENS)`,
        );
      }
      return { kind: 'unparsed' };
    }
    const schema = getSchema();
    if (!schema) return { kind: 'unparsed' };

    // Armor's rules report through callbacks; collect the first refusal of each kind with our code.
    const refusals: { code: string; message: string }[] = [];
    const collect = (code: string, message: string) => (_ctx: ValidationContext | null, _error: GraphQLError) => {
      refusals.push({ code, message });
    };
    validate(schema, document, [
      maxDepthRule({
        n: limits.maxDepth,
        propagateOnRejection: false,
        onReject: [
          collect(QueryLimitCode.QUERY_TOO_DEEP, `The operation is nested deeper than ${limits.maxDepth} levels (limit MAX_QUERY_DEPTH)`),
        ],
      }),
      maxAliasesRule({
        n: limits.maxAliases,
        propagateOnRejection: false,
        onReject: [
          collect(QueryLimitCode.TOO_MANY_ALIASES, `The operation uses more than ${limits.maxAliases} aliases (limit MAX_QUERY_ALIASES)`),
        ],
      }),
    ]);
    if (refusals.length > 0) return refusal(refusals[0]!.code, refusals[0]!.message);

    const operations = new Map<string | null, OperationFacts>();
    const definitions = document.definitions.filter((d) => d.kind === 'OperationDefinition');
    for (const operation of definitions) {
      const facts: OperationFacts = {
        type: operation.operation,
        rootFields: operation.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])),
        cost: buildCostModel(schema, document, operation, limits.defaultListSize),
      };
      operations.set(operation.name?.value ?? null, facts);
      if (definitions.length === 1) operations.set(null, facts);
    }
    return { kind: 'ok', operations };
  }

  return {
    /**
     * The verdict for one request. `hash` is the document's sha256 when the caller already has it
     * (APQ, trusted documents); otherwise it is computed here.
     */
    check(query: string, operationName: string | null | undefined, variables: unknown, hash = sha256Hex(query)): LimitVerdict {
      let entry = memo.get(hash);
      if (!entry) {
        const analysis = analyse(query);
        // What is kept is the verdict and the cost model, never the text: roughly 64 bytes a node.
        const bytes = 256 + (analysis.kind === 'ok' ? [...analysis.operations.values()].reduce((n, o) => n + o.cost.nodeCount * 64, 0) : 0);
        entry = { analysis, bytes };
        memo.set(hash, entry);
      }
      const { analysis } = entry;
      if (analysis.kind === 'refused') return { ok: false, status: 400, code: analysis.code, message: analysis.message };
      if (analysis.kind === 'unparsed') return { ok: true };
      const operation = analysis.operations.get(operationName ?? null);
      if (!operation) return { ok: true }; // an unknown operationName: Apollo answers it
      const vars = variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : {};
      const cost = evaluateCost(operation.cost, vars);
      if (cost > limits.maxCost) {
        return {
          ok: false,
          status: 400,
          code: QueryLimitCode.QUERY_TOO_COMPLEX,
          message: `The operation's estimated cost ${cost} exceeds ${limits.maxCost} (limit MAX_QUERY_COST): ask for fewer items with first/last, or less nesting`,
        };
      }
      return { ok: true, operation, cost };
    },
  };
}
export type QueryLimiter = ReturnType<typeof createQueryLimiter>;
