import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { EntityRef, SubgraphContext } from '../../shared/context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Arbitrary JSON (event properties). */
  JSON: { input: unknown; output: unknown; }
  _FieldSet: { input: unknown; output: unknown; }
};

/** An accepted event that forwarding to one destination gave up on (it stays stored here). */
export type AnalyticsDeadLetter = {
  __typename?: 'AnalyticsDeadLetter';
  attempts: Scalars['Int']['output'];
  deadLetteredAt: Scalars['String']['output'];
  insertId: Scalars['ID']['output'];
  /** Why the last attempt failed, without addresses or credentials. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** The destination: mixpanel or amplitude. */
  sink: Scalars['String']['output'];
  userId: Scalars['ID']['output'];
};

export type AnalyticsDeletion = {
  __typename?: 'AnalyticsDeletion';
  /** Events deleted from our store. */
  deletedEvents: Scalars['Int']['output'];
  /** Destinations where deletion of the user's data is queued (durably; sent in the background). */
  queuedAt: Array<Scalars['String']['output']>;
};

export type AnalyticsEventInput = {
  /** Client-generated unique id (≤ 36 chars); a repeated id from the same user is a duplicate. */
  insertId: Scalars['ID']['input'];
  /** Event name, 1-255 characters. */
  name: Scalars['String']['input'];
  /** Event properties: a JSON object. */
  properties?: InputMaybe<Scalars['JSON']['input']>;
  /** ISO-8601 time the event happened; defaults to now. At most 5 days old, not in the future. */
  timestamp?: InputMaybe<Scalars['String']['input']>;
};

export type CacheControlScope =
  | 'PRIVATE'
  | 'PUBLIC';

export type DailyActiveUsers = {
  __typename?: 'DailyActiveUsers';
  /** UTC day, YYYY-MM-DD. */
  day: Scalars['String']['output'];
  /** Distinct users with at least one event that day. */
  users: Scalars['Int']['output'];
};

/** Events of one name on one UTC day, over all users: aggregate, nothing about any one user. */
export type EventCount = {
  __typename?: 'EventCount';
  /** UTC day, YYYY-MM-DD. */
  day: Scalars['String']['output'];
  events: Scalars['Int']['output'];
  name: Scalars['String']['output'];
  /** Distinct users who sent the event that day. */
  users: Scalars['Int']['output'];
};

export type Funnel = {
  __typename?: 'Funnel';
  steps: Array<FunnelStep>;
};

export type FunnelStep = {
  __typename?: 'FunnelStep';
  /** Share of the first step's users that reached this step (0-1). */
  conversion: Scalars['Float']['output'];
  name: Scalars['String']['output'];
  users: Scalars['Int']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Deletes the caller's analytics events here and asks Mixpanel and Amplitude to delete theirs. */
  deleteMyAnalyticsData: AnalyticsDeletion;
  /** Records events of the caller, deduplicated by insertId, forwarded to Mixpanel/Amplitude asynchronously. */
  trackEvents: TrackResult;
};


export type MutationTrackEventsArgs = {
  events: Array<AnalyticsEventInput>;
};

export type Query = {
  __typename?: 'Query';
  /** Events a destination kept refusing and that are no longer forwarded, newest first (operators only; README "Dead letters"). */
  analyticsDeadLetters: Array<AnalyticsDeadLetter>;
  /** Distinct active users per UTC day of the window, days without activity included (operators only). */
  dailyActiveUsers: Array<DailyActiveUsers>;
  /** Daily event counts per event name (operators, and partners with the analytics:read scope). At most 90 days, 1000 rows. */
  eventCounts: Array<EventCount>;
  /** Users who did each step in order within the window (operators only). */
  funnel: Funnel;
  /** Daily retention cohorts (operators only). */
  retention: Array<RetentionCohort>;
};


export type QueryAnalyticsDeadLettersArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryDailyActiveUsersArgs = {
  from?: InputMaybe<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['String']['input']>;
};


export type QueryEventCountsArgs = {
  from?: InputMaybe<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['String']['input']>;
};


export type QueryFunnelArgs = {
  from?: InputMaybe<Scalars['String']['input']>;
  steps: Array<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['String']['input']>;
};


export type QueryRetentionArgs = {
  days?: InputMaybe<Scalars['Int']['input']>;
  from?: InputMaybe<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['String']['input']>;
};

export type RetentionCohort = {
  __typename?: 'RetentionCohort';
  /** First day (UTC, YYYY-MM-DD) the cohort's users were seen. */
  cohort: Scalars['String']['output'];
  /** Share of the cohort active on day N after the cohort day, N = 0..days-1. */
  retained: Array<Scalars['Float']['output']>;
  size: Scalars['Int']['output'];
};

export type TrackResult = {
  __typename?: 'TrackResult';
  accepted: Scalars['Int']['output'];
  duplicates: Scalars['Int']['output'];
};

export type User = {
  __typename?: 'User';
  /** Null (with a SERVICE_UNAVAILABLE error) when analytics is down: the rest of the user still answers. */
  activity?: Maybe<UserActivity>;
  id: Scalars['ID']['output'];
};

export type UserActivity = {
  __typename?: 'UserActivity';
  eventCount: Scalars['Int']['output'];
  firstSeenAt?: Maybe<Scalars['String']['output']>;
  lastSeenAt?: Maybe<Scalars['String']['output']>;
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = ResolversObject<{
  User: User;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  User:
    ( { __typename: 'User' }
    & GraphQLRecursivePick<FederationTypes['User'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  AnalyticsDeadLetter: ResolverTypeWrapper<AnalyticsDeadLetter>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  AnalyticsDeletion: ResolverTypeWrapper<AnalyticsDeletion>;
  AnalyticsEventInput: AnalyticsEventInput;
  CacheControlScope: CacheControlScope;
  DailyActiveUsers: ResolverTypeWrapper<DailyActiveUsers>;
  EventCount: ResolverTypeWrapper<EventCount>;
  Funnel: ResolverTypeWrapper<Funnel>;
  FunnelStep: ResolverTypeWrapper<FunnelStep>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RetentionCohort: ResolverTypeWrapper<RetentionCohort>;
  TrackResult: ResolverTypeWrapper<TrackResult>;
  User: ResolverTypeWrapper<EntityRef>;
  UserActivity: ResolverTypeWrapper<UserActivity>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  AnalyticsDeadLetter: AnalyticsDeadLetter;
  String: Scalars['String']['output'];
  ID: Scalars['ID']['output'];
  AnalyticsDeletion: AnalyticsDeletion;
  AnalyticsEventInput: AnalyticsEventInput;
  DailyActiveUsers: DailyActiveUsers;
  EventCount: EventCount;
  Funnel: Funnel;
  FunnelStep: FunnelStep;
  Float: Scalars['Float']['output'];
  JSON: Scalars['JSON']['output'];
  Mutation: Record<PropertyKey, never>;
  Query: Record<PropertyKey, never>;
  RetentionCohort: RetentionCohort;
  TrackResult: TrackResult;
  User: EntityRef;
  UserActivity: UserActivity;
  Boolean: Scalars['Boolean']['output'];
  Int: Scalars['Int']['output'];
}>;

export type CacheControlDirectiveArgs = {
  inheritMaxAge?: Maybe<Scalars['Boolean']['input']>;
  maxAge?: Maybe<Scalars['Int']['input']>;
  scope?: Maybe<CacheControlScope>;
};

export type CacheControlDirectiveResolver<Result, Parent, ContextType = SubgraphContext<any>, Args = CacheControlDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type AnalyticsDeadLetterResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['AnalyticsDeadLetter'] = ResolversParentTypes['AnalyticsDeadLetter']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  deadLetteredAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  insertId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  sink?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  userId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type AnalyticsDeletionResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['AnalyticsDeletion'] = ResolversParentTypes['AnalyticsDeletion']> = ResolversObject<{
  deletedEvents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  queuedAt?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type DailyActiveUsersResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['DailyActiveUsers'] = ResolversParentTypes['DailyActiveUsers']> = ResolversObject<{
  day?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  users?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type EventCountResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['EventCount'] = ResolversParentTypes['EventCount']> = ResolversObject<{
  day?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  events?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  users?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type FunnelResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Funnel'] = ResolversParentTypes['Funnel']> = ResolversObject<{
  steps?: Resolver<Array<ResolversTypes['FunnelStep']>, ParentType, ContextType>;
}>;

export type FunnelStepResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['FunnelStep'] = ResolversParentTypes['FunnelStep']> = ResolversObject<{
  conversion?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  users?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type MutationResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  deleteMyAnalyticsData?: Resolver<ResolversTypes['AnalyticsDeletion'], ParentType, ContextType>;
  trackEvents?: Resolver<ResolversTypes['TrackResult'], ParentType, ContextType, RequireFields<MutationTrackEventsArgs, 'events'>>;
}>;

export type QueryResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  analyticsDeadLetters?: Resolver<Array<ResolversTypes['AnalyticsDeadLetter']>, ParentType, ContextType, RequireFields<QueryAnalyticsDeadLettersArgs, 'first'>>;
  dailyActiveUsers?: Resolver<Array<ResolversTypes['DailyActiveUsers']>, ParentType, ContextType, Partial<QueryDailyActiveUsersArgs>>;
  eventCounts?: Resolver<Array<ResolversTypes['EventCount']>, ParentType, ContextType, Partial<QueryEventCountsArgs>>;
  funnel?: Resolver<ResolversTypes['Funnel'], ParentType, ContextType, RequireFields<QueryFunnelArgs, 'steps'>>;
  retention?: Resolver<Array<ResolversTypes['RetentionCohort']>, ParentType, ContextType, RequireFields<QueryRetentionArgs, 'days'>>;
}>;

export type RetentionCohortResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['RetentionCohort'] = ResolversParentTypes['RetentionCohort']> = ResolversObject<{
  cohort?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  retained?: Resolver<Array<ResolversTypes['Float']>, ParentType, ContextType>;
  size?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type TrackResultResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['TrackResult'] = ResolversParentTypes['TrackResult']> = ResolversObject<{
  accepted?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  duplicates?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type UserResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User'], FederationReferenceType extends FederationReferenceTypes['User'] = FederationReferenceTypes['User']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['User']> | FederationReferenceType, FederationReferenceType, ContextType>;
  activity?: Resolver<Maybe<ResolversTypes['UserActivity']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type UserActivityResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['UserActivity'] = ResolversParentTypes['UserActivity']> = ResolversObject<{
  eventCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  firstSeenAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastSeenAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type Resolvers<ContextType = SubgraphContext<any>> = ResolversObject<{
  AnalyticsDeadLetter?: AnalyticsDeadLetterResolvers<ContextType>;
  AnalyticsDeletion?: AnalyticsDeletionResolvers<ContextType>;
  DailyActiveUsers?: DailyActiveUsersResolvers<ContextType>;
  EventCount?: EventCountResolvers<ContextType>;
  Funnel?: FunnelResolvers<ContextType>;
  FunnelStep?: FunnelStepResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  Mutation?: MutationResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RetentionCohort?: RetentionCohortResolvers<ContextType>;
  TrackResult?: TrackResultResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  UserActivity?: UserActivityResolvers<ContextType>;
}>;

export type DirectiveResolvers<ContextType = SubgraphContext<any>> = ResolversObject<{
  cacheControl?: CacheControlDirectiveResolver<any, any, ContextType>;
}>;
