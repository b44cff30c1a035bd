/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
};

export type CatalogQueryVariables = Exact<{ [key: string]: never; }>;


export type CatalogQuery = { products: Array<{ id: string, title: string, prices: Array<{ amount: number, currency: string }> }> | null };

export type EventCountsQueryVariables = Exact<{
  from: string | null | undefined;
  to: string | null | undefined;
}>;


export type EventCountsQuery = { eventCounts: Array<{ day: string, name: string, events: number, users: number }> };
