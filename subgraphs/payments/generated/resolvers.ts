import type { GraphQLResolveInfo } from 'graphql';
import type { Product as ProductModel } from '../catalog.ts';
import type { PaymentRecord as PaymentModel } from '../ledger.ts';
import type { EntityRef, SubgraphContext } from '../../shared/context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type CacheControlScope =
  | 'PRIVATE'
  | 'PUBLIC';

export type CreateInvoiceInput = {
  /** Client-chosen (a UUID per purchase attempt): the same key from the same user returns the same invoice. */
  idempotencyKey: Scalars['String']['input'];
  productId: Scalars['ID']['input'];
  provider: PaymentProvider;
  /** A monthly Telegram Stars subscription (STARS only, at most 10000 Stars): renewals arrive as new PAID payments. */
  subscription?: InputMaybe<Scalars['Boolean']['input']>;
};

/** What the Mini App needs to pay a payment; exactly one provider field is set. */
export type Invoice = {
  __typename?: 'Invoice';
  payment: Payment;
  /** Telegram Stars: open with Telegram.WebApp.openInvoice(link). */
  starsInvoiceLink?: Maybe<Scalars['String']['output']>;
  /** Stripe: confirm with Stripe.js (Payment Element). */
  stripeClientSecret?: Maybe<Scalars['String']['output']>;
  /** TON: send with TON Connect sendTransaction. */
  tonTransfer?: Maybe<TonTransfer>;
};

/**
 * An amount of money in minor units: cents for USD, whole Stars for XTR,
 * nanotons for TON.
 */
export type Money = {
  __typename?: 'Money';
  amount: Scalars['Int']['output'];
  currency: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Stops the caller's Stars subscription (its first payment or any renewal) from renewing. Idempotent. */
  cancelSubscription: Payment;
  /** Creates (or, for a repeated idempotencyKey, returns) a PENDING payment and its invoice. The price comes from the catalog. */
  createInvoice: Invoice;
  /** Refunds a PAID payment (operators only). Refunding twice is a CONFLICT. */
  refundPayment: Payment;
};


export type MutationCancelSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCreateInvoiceArgs = {
  input: CreateInvoiceInput;
};


export type MutationRefundPaymentArgs = {
  id: Scalars['ID']['input'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** A payment of the caller. Payment state is never cached. */
export type Payment = {
  __typename?: 'Payment';
  amount: Money;
  createdAt: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  paidAt?: Maybe<Scalars['String']['output']>;
  product: Product;
  provider: PaymentProvider;
  /**
   * How much was refunded so far (cumulative, same currency as amount): 0 when nothing was,
   * less than amount after a partial refund (the status stays PAID), amount once REFUNDED.
   */
  refundedAmount: Money;
  /** When the payment became REFUNDED (fully refunded); null after a partial refund. */
  refundedAt?: Maybe<Scalars['String']['output']>;
  /** A subscription renewal: the subscription's first payment. */
  renewalOf?: Maybe<Payment>;
  status: PaymentStatus;
  /** Stars subscriptions: when the user stopped it from renewing (it stays paid to the end of the period). */
  subscriptionCanceledAt?: Maybe<Scalars['String']['output']>;
  /** Stars subscriptions: the end of the 30-day period this payment paid for. */
  subscriptionExpiresAt?: Maybe<Scalars['String']['output']>;
  /** When the status (or subscription cancellation) last changed: pass it as myPayments(changedSince:) after reconnecting. */
  updatedAt: Scalars['String']['output'];
  user: User;
};

export type PaymentConnection = {
  __typename?: 'PaymentConnection';
  edges: Array<PaymentEdge>;
  pageInfo: PageInfo;
};

export type PaymentEdge = {
  __typename?: 'PaymentEdge';
  cursor: Scalars['String']['output'];
  node: Payment;
};

export type PaymentProvider =
  | 'STARS'
  | 'STRIPE'
  | 'TON';

export type PaymentStatus =
  | 'FAILED'
  | 'PAID'
  | 'PENDING'
  | 'REFUNDED';

/** A catalog item. Public and cacheable. */
export type Product = {
  __typename?: 'Product';
  description?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** One price per currency the product is sold in (XTR for Stars, USD for Stripe, TON). */
  prices: Array<Money>;
  title: Scalars['String']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** A payment of the caller; null when it does not exist or belongs to someone else (operators see all). */
  payment?: Maybe<Payment>;
  product?: Maybe<Product>;
  /** The catalog. Null (with a SERVICE_UNAVAILABLE error) when payments is down, so other root fields still answer. */
  products?: Maybe<Array<Product>>;
  /** Webhook events that failed too often and are no longer retried, newest first (operators only; README "Dead letters"). */
  webhookDeadLetters: Array<WebhookDeadLetter>;
};


export type QueryPaymentArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductArgs = {
  id: Scalars['ID']['input'];
};


export type QueryWebhookDeadLettersArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};

/**
 * Live payment state (GraphQL over SSE or WebSocket on the gateway's /graphql).
 * Every event carries the payment's current state, re-read when it changed.
 */
export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Every change to the caller's payments (a new invoice, PAID, FAILED, REFUNDED, a cancelled subscription).
   * After a reconnect pass the last updatedAt seen: the payments changed since then come first, oldest first.
   */
  myPayments: Payment;
  /** The caller's payment (operators: any): its current state first, then every change. Someone else's payment is NOT_FOUND. */
  paymentUpdated: Payment;
};


/**
 * Live payment state (GraphQL over SSE or WebSocket on the gateway's /graphql).
 * Every event carries the payment's current state, re-read when it changed.
 */
export type SubscriptionMyPaymentsArgs = {
  changedSince?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Live payment state (GraphQL over SSE or WebSocket on the gateway's /graphql).
 * Every event carries the payment's current state, re-read when it changed.
 */
export type SubscriptionPaymentUpdatedArgs = {
  id: Scalars['ID']['input'];
};

/** Where a TON payment goes: send exactly this (or more) with this comment. */
export type TonTransfer = {
  __typename?: 'TonTransfer';
  /** The shop wallet. */
  address: Scalars['String']['output'];
  /** Nanotons, as a decimal string (exceeds 32 bits). */
  amount: Scalars['String']['output'];
  /** Must be the transfer's text comment, exactly: it identifies the payment. */
  comment: Scalars['String']['output'];
};

export type User = {
  __typename?: 'User';
  id: Scalars['ID']['output'];
  /** This user's payments, newest first. The user themself or an operator only. Null (with a SERVICE_UNAVAILABLE error) when payments is down. */
  payments?: Maybe<PaymentConnection>;
};


export type UserPaymentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A stored webhook event that processing gave up on: kept for an operator, who fixes the cause and sends it again. */
export type WebhookDeadLetter = {
  __typename?: 'WebhookDeadLetter';
  attempts: Scalars['Int']['output'];
  deadLetteredAt: Scalars['String']['output'];
  /** The provider's event id (Telegram update_id, Stripe event id). */
  eventId: Scalars['ID']['output'];
  /** What the event is (e.g. successful_payment, payment_intent.succeeded). */
  kind: Scalars['String']['output'];
  /** Why the last attempt failed, without addresses or credentials. */
  lastError?: Maybe<Scalars['String']['output']>;
  receivedAt: Scalars['String']['output'];
  source: WebhookSource;
};

export type WebhookSource =
  | 'STRIPE'
  | 'TELEGRAM';

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
  Payment: Payment;
  Product: Product;
  User: User;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Payment:
    ( { __typename: 'Payment' }
    & GraphQLRecursivePick<FederationTypes['Payment'], {"id":true}> );
  Product:
    ( { __typename: 'Product' }
    & GraphQLRecursivePick<FederationTypes['Product'], {"id":true}> );
  User:
    ( { __typename: 'User' }
    & GraphQLRecursivePick<FederationTypes['User'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  CacheControlScope: CacheControlScope;
  CreateInvoiceInput: CreateInvoiceInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Invoice: ResolverTypeWrapper<Omit<Invoice, 'payment'> & { payment: ResolversTypes['Payment'] }>;
  Money: ResolverTypeWrapper<Money>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Payment: ResolverTypeWrapper<PaymentModel>;
  PaymentConnection: ResolverTypeWrapper<Omit<PaymentConnection, 'edges'> & { edges: Array<ResolversTypes['PaymentEdge']> }>;
  PaymentEdge: ResolverTypeWrapper<Omit<PaymentEdge, 'node'> & { node: ResolversTypes['Payment'] }>;
  PaymentProvider: PaymentProvider;
  PaymentStatus: PaymentStatus;
  Product: ResolverTypeWrapper<ProductModel>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  TonTransfer: ResolverTypeWrapper<TonTransfer>;
  User: ResolverTypeWrapper<EntityRef>;
  WebhookDeadLetter: ResolverTypeWrapper<WebhookDeadLetter>;
  WebhookSource: WebhookSource;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  CreateInvoiceInput: CreateInvoiceInput;
  String: Scalars['String']['output'];
  ID: Scalars['ID']['output'];
  Invoice: Omit<Invoice, 'payment'> & { payment: ResolversParentTypes['Payment'] };
  Money: Money;
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Payment: PaymentModel;
  PaymentConnection: Omit<PaymentConnection, 'edges'> & { edges: Array<ResolversParentTypes['PaymentEdge']> };
  PaymentEdge: Omit<PaymentEdge, 'node'> & { node: ResolversParentTypes['Payment'] };
  Product: ProductModel;
  Query: Record<PropertyKey, never>;
  Subscription: Record<PropertyKey, never>;
  TonTransfer: TonTransfer;
  User: EntityRef;
  WebhookDeadLetter: WebhookDeadLetter;
  Boolean: Scalars['Boolean']['output'];
  Int: Scalars['Int']['output'];
}>;

export type CacheControlDirectiveArgs = {
  inheritMaxAge?: Maybe<Scalars['Boolean']['input']>;
  maxAge?: Maybe<Scalars['Int']['input']>;
  scope?: Maybe<CacheControlScope>;
};

export type CacheControlDirectiveResolver<Result, Parent, ContextType = SubgraphContext<any>, Args = CacheControlDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type InvoiceResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Invoice'] = ResolversParentTypes['Invoice']> = ResolversObject<{
  payment?: Resolver<ResolversTypes['Payment'], ParentType, ContextType>;
  starsInvoiceLink?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  stripeClientSecret?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  tonTransfer?: Resolver<Maybe<ResolversTypes['TonTransfer']>, ParentType, ContextType>;
}>;

export type MoneyResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Money'] = ResolversParentTypes['Money']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  cancelSubscription?: Resolver<ResolversTypes['Payment'], ParentType, ContextType, RequireFields<MutationCancelSubscriptionArgs, 'id'>>;
  createInvoice?: Resolver<ResolversTypes['Invoice'], ParentType, ContextType, RequireFields<MutationCreateInvoiceArgs, 'input'>>;
  refundPayment?: Resolver<ResolversTypes['Payment'], ParentType, ContextType, RequireFields<MutationRefundPaymentArgs, 'id'>>;
}>;

export type PageInfoResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type PaymentResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Payment'] = ResolversParentTypes['Payment'], FederationReferenceType extends FederationReferenceTypes['Payment'] = FederationReferenceTypes['Payment']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Payment']> | FederationReferenceType, FederationReferenceType, ContextType>;
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  paidAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  product?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
  provider?: Resolver<ResolversTypes['PaymentProvider'], ParentType, ContextType>;
  refundedAmount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  refundedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  renewalOf?: Resolver<Maybe<ResolversTypes['Payment']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['PaymentStatus'], ParentType, ContextType>;
  subscriptionCanceledAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  subscriptionExpiresAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
}>;

export type PaymentConnectionResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['PaymentConnection'] = ResolversParentTypes['PaymentConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['PaymentEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type PaymentEdgeResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['PaymentEdge'] = ResolversParentTypes['PaymentEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Payment'], ParentType, ContextType>;
}>;

export type ProductResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product'], FederationReferenceType extends FederationReferenceTypes['Product'] = FederationReferenceTypes['Product']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Product']> | FederationReferenceType, FederationReferenceType, ContextType>;
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  prices?: Resolver<Array<ResolversTypes['Money']>, ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  payment?: Resolver<Maybe<ResolversTypes['Payment']>, ParentType, ContextType, RequireFields<QueryPaymentArgs, 'id'>>;
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType, RequireFields<QueryProductArgs, 'id'>>;
  products?: Resolver<Maybe<Array<ResolversTypes['Product']>>, ParentType, ContextType>;
  webhookDeadLetters?: Resolver<Array<ResolversTypes['WebhookDeadLetter']>, ParentType, ContextType, RequireFields<QueryWebhookDeadLettersArgs, 'first'>>;
}>;

export type SubscriptionResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  myPayments?: SubscriptionResolver<ResolversTypes['Payment'], "myPayments", ParentType, ContextType, Partial<SubscriptionMyPaymentsArgs>>;
  paymentUpdated?: SubscriptionResolver<ResolversTypes['Payment'], "paymentUpdated", ParentType, ContextType, RequireFields<SubscriptionPaymentUpdatedArgs, 'id'>>;
}>;

export type TonTransferResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['TonTransfer'] = ResolversParentTypes['TonTransfer']> = ResolversObject<{
  address?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  amount?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  comment?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type UserResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User'], FederationReferenceType extends FederationReferenceTypes['User'] = FederationReferenceTypes['User']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['User']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  payments?: Resolver<Maybe<ResolversTypes['PaymentConnection']>, ParentType, ContextType, RequireFields<UserPaymentsArgs, 'first'>>;
}>;

export type WebhookDeadLetterResolvers<ContextType = SubgraphContext<any>, ParentType extends ResolversParentTypes['WebhookDeadLetter'] = ResolversParentTypes['WebhookDeadLetter']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  deadLetteredAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  eventId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  receivedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['WebhookSource'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = SubgraphContext<any>> = ResolversObject<{
  Invoice?: InvoiceResolvers<ContextType>;
  Money?: MoneyResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Payment?: PaymentResolvers<ContextType>;
  PaymentConnection?: PaymentConnectionResolvers<ContextType>;
  PaymentEdge?: PaymentEdgeResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  TonTransfer?: TonTransferResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  WebhookDeadLetter?: WebhookDeadLetterResolvers<ContextType>;
}>;

export type DirectiveResolvers<ContextType = SubgraphContext<any>> = ResolversObject<{
  cacheControl?: CacheControlDirectiveResolver<any, any, ContextType>;
}>;
