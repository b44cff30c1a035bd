// The engine's own query-plan shape. Both planners (Hive Router's and
// Apollo's) are translated into it once per operation, so the executor has one
// set of node kinds and never depends on either planner's types.
//
// It is Apollo's query-plan format with three generalisations Hive's planner
// needs: Flatten paths can filter by type (`cast`), `requires` fields can read
// one key and write another (aliases of fields with arguments), and
// `BatchFetch` sends several `_entities` selections in one request.

/** One step of a Flatten / BatchFetch path into the response tree. */
export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'list' }
  /** keep only objects whose __typename is one of / a subtype of these types */
  | { readonly kind: 'cast'; readonly types: readonly string[] };

/** A selection of an entity's `requires` (the representation sent to `_entities`). */
export type RequiresSelection =
  | {
      readonly kind: 'Field';
      /** key read from the merged response data */
      readonly from: string;
      /** key written into the representation */
      readonly to: string;
      readonly selections?: readonly RequiresSelection[] | undefined;
    }
  | {
      readonly kind: 'InlineFragment';
      readonly typeCondition?: string | undefined;
      readonly selections: readonly RequiresSelection[];
      /** Hive: the fragment applies only when this Boolean variable is false / true */
      readonly skipIf?: string | undefined;
      readonly includeIf?: string | undefined;
    };

/** A segment of a rewrite path: a key, or a type filter (`... on T`). */
export type RewriteSegment = { readonly key: string } | { readonly types: readonly string[] };

export type DataRewrite =
  | { readonly kind: 'ValueSetter'; readonly path: readonly RewriteSegment[]; readonly setValueTo: unknown }
  | { readonly kind: 'KeyRenamer'; readonly path: readonly RewriteSegment[]; readonly renameKeyTo: string };

interface FetchBase {
  readonly serviceName: string;
  readonly operation: string;
  readonly operationName: string | undefined;
  readonly operationKind: 'query' | 'mutation' | 'subscription';
  readonly variableUsages: readonly string[];
  /** Apollo's planner: the fetch's id, which deferred parts name as dependencies (defer.ts) */
  readonly id?: string | undefined;
}

export interface FetchNode extends FetchBase {
  readonly kind: 'Fetch';
  readonly requires?: readonly RequiresSelection[] | undefined;
  readonly inputRewrites?: readonly DataRewrite[] | undefined;
  readonly outputRewrites?: readonly DataRewrite[] | undefined;
}

export interface EntityBatchAlias {
  /** response key of this `_entities` selection */
  readonly alias: string;
  readonly representationsVariableName: string;
  /** where the entities live, from the response root */
  readonly paths: readonly (readonly PathSegment[])[];
  readonly requires: readonly RequiresSelection[];
  readonly inputRewrites?: readonly DataRewrite[] | undefined;
  readonly outputRewrites?: readonly DataRewrite[] | undefined;
}

export interface BatchFetchNode extends FetchBase {
  readonly kind: 'BatchFetch';
  readonly aliases: readonly EntityBatchAlias[];
}

export interface DeferNode {
  readonly kind: 'Defer';
  readonly primary: PlanNode | undefined;
  readonly deferred: readonly PlanNode[];
  /** Apollo's incremental planner only: what incremental delivery needs of each deferred part (defer.ts) */
  readonly parts?: readonly DeferredPart[] | undefined;
}

/** One deferred fragment of a Defer node, as Apollo's planner describes it. */
export interface DeferredPart {
  readonly label: string | undefined;
  /** response path of the fragment (field names and `... on T` steps) */
  readonly queryPath: readonly string[];
  /** the fragment's selection, as GraphQL text (`{ a b }`) */
  readonly subselection: string | undefined;
  /** ids of the fetches this part waits for */
  readonly depends: readonly string[];
  readonly node: PlanNode | undefined;
}

export type PlanNode =
  | { readonly kind: 'Sequence'; readonly nodes: readonly PlanNode[] }
  | { readonly kind: 'Parallel'; readonly nodes: readonly PlanNode[] }
  | { readonly kind: 'Flatten'; readonly path: readonly PathSegment[]; readonly node: PlanNode }
  | {
      readonly kind: 'Condition';
      /** name of a Boolean variable */
      readonly condition: string;
      readonly ifClause?: PlanNode | undefined;
      readonly elseClause?: PlanNode | undefined;
    }
  | FetchNode
  | BatchFetchNode
  | DeferNode
  /** `rest`: the fetches that complete each event with other subgraphs' fields (subscription.ts) */
  | { readonly kind: 'Subscription'; readonly primary: FetchNode; readonly rest?: PlanNode | undefined };

export interface EngineQueryPlan {
  readonly node: PlanNode | undefined;
  /**
   * How a missing `requires` field is treated. Apollo: the entity gets no
   * representation (stock gateway semantics). Hive: the field is left out
   * (and null values are not sent), as Hive's runtime does.
   */
  readonly requiresMode: 'apollo' | 'hive';
}

/** Per-request planning inputs (progressive @override). */
export interface PlanRequest {
  /** the operation document as a string, and its selected operation name */
  readonly query: string;
  readonly operationName: string | undefined;
  /** active @override labels chosen by the caller (feature flags) */
  readonly activeLabels: ReadonlySet<string>;
  /** 0..100; decides `percent(x)` labels: active when below x */
  readonly percentage: number;
}

/** A query planner behind the engine (one per supergraph). */
export interface EnginePlanner {
  readonly name: 'hive' | 'apollo';
  /** thresholds of the supergraph's `percent(x)` override labels, ascending */
  readonly overridePercentages: readonly number[];
  plan(request: PlanRequest, document: import('graphql').DocumentNode): EngineQueryPlan;
}
