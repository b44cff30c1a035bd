/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Me {\n  me {\n    id\n    firstName\n    lastName\n    username\n    languageCode\n    isPremium\n    photoUrl\n  }\n}\n\nquery Catalog {\n  products {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Product($id: ID!) {\n  product(id: $id) {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Profile($first: Int = 20, $after: String) {\n  me {\n    id\n    firstName\n    payments(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          provider\n          status\n          amount {\n            amount\n            currency\n          }\n          product {\n            id\n            title\n          }\n          createdAt\n          paidAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    customer {\n      id\n      email\n      lifecycleStage\n      tags\n    }\n    activity {\n      firstSeenAt\n      lastSeenAt\n      eventCount\n    }\n  }\n}\n\nquery Payment($id: ID!) {\n  payment(id: $id) {\n    id\n    provider\n    status\n    amount {\n      amount\n      currency\n    }\n    paidAt\n  }\n}\n\nmutation TrackEvents($events: [AnalyticsEventInput!]!) {\n  trackEvents(events: $events) {\n    accepted\n    duplicates\n  }\n}\n\nmutation OpenTicket($input: OpenTicketInput!) {\n  openTicket(input: $input) {\n    id\n    subject\n    status\n    createdAt\n  }\n}\n\nmutation SendMessage($text: String!) {\n  sendMessage(text: $text) {\n    messageId\n    sentAt\n  }\n}\n\nmutation CreateInvoice($input: CreateInvoiceInput!) {\n  createInvoice(input: $input) {\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    starsInvoiceLink\n  }\n}": typeof types.MeDocument,
};
const documents: Documents = {
    "query Me {\n  me {\n    id\n    firstName\n    lastName\n    username\n    languageCode\n    isPremium\n    photoUrl\n  }\n}\n\nquery Catalog {\n  products {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Product($id: ID!) {\n  product(id: $id) {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Profile($first: Int = 20, $after: String) {\n  me {\n    id\n    firstName\n    payments(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          provider\n          status\n          amount {\n            amount\n            currency\n          }\n          product {\n            id\n            title\n          }\n          createdAt\n          paidAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    customer {\n      id\n      email\n      lifecycleStage\n      tags\n    }\n    activity {\n      firstSeenAt\n      lastSeenAt\n      eventCount\n    }\n  }\n}\n\nquery Payment($id: ID!) {\n  payment(id: $id) {\n    id\n    provider\n    status\n    amount {\n      amount\n      currency\n    }\n    paidAt\n  }\n}\n\nmutation TrackEvents($events: [AnalyticsEventInput!]!) {\n  trackEvents(events: $events) {\n    accepted\n    duplicates\n  }\n}\n\nmutation OpenTicket($input: OpenTicketInput!) {\n  openTicket(input: $input) {\n    id\n    subject\n    status\n    createdAt\n  }\n}\n\nmutation SendMessage($text: String!) {\n  sendMessage(text: $text) {\n    messageId\n    sentAt\n  }\n}\n\nmutation CreateInvoice($input: CreateInvoiceInput!) {\n  createInvoice(input: $input) {\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    starsInvoiceLink\n  }\n}": types.MeDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    firstName\n    lastName\n    username\n    languageCode\n    isPremium\n    photoUrl\n  }\n}\n\nquery Catalog {\n  products {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Product($id: ID!) {\n  product(id: $id) {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Profile($first: Int = 20, $after: String) {\n  me {\n    id\n    firstName\n    payments(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          provider\n          status\n          amount {\n            amount\n            currency\n          }\n          product {\n            id\n            title\n          }\n          createdAt\n          paidAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    customer {\n      id\n      email\n      lifecycleStage\n      tags\n    }\n    activity {\n      firstSeenAt\n      lastSeenAt\n      eventCount\n    }\n  }\n}\n\nquery Payment($id: ID!) {\n  payment(id: $id) {\n    id\n    provider\n    status\n    amount {\n      amount\n      currency\n    }\n    paidAt\n  }\n}\n\nmutation TrackEvents($events: [AnalyticsEventInput!]!) {\n  trackEvents(events: $events) {\n    accepted\n    duplicates\n  }\n}\n\nmutation OpenTicket($input: OpenTicketInput!) {\n  openTicket(input: $input) {\n    id\n    subject\n    status\n    createdAt\n  }\n}\n\nmutation SendMessage($text: String!) {\n  sendMessage(text: $text) {\n    messageId\n    sentAt\n  }\n}\n\nmutation CreateInvoice($input: CreateInvoiceInput!) {\n  createInvoice(input: $input) {\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    starsInvoiceLink\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    firstName\n    lastName\n    username\n    languageCode\n    isPremium\n    photoUrl\n  }\n}\n\nquery Catalog {\n  products {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Product($id: ID!) {\n  product(id: $id) {\n    id\n    title\n    description\n    prices {\n      amount\n      currency\n    }\n  }\n}\n\nquery Profile($first: Int = 20, $after: String) {\n  me {\n    id\n    firstName\n    payments(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          provider\n          status\n          amount {\n            amount\n            currency\n          }\n          product {\n            id\n            title\n          }\n          createdAt\n          paidAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    customer {\n      id\n      email\n      lifecycleStage\n      tags\n    }\n    activity {\n      firstSeenAt\n      lastSeenAt\n      eventCount\n    }\n  }\n}\n\nquery Payment($id: ID!) {\n  payment(id: $id) {\n    id\n    provider\n    status\n    amount {\n      amount\n      currency\n    }\n    paidAt\n  }\n}\n\nmutation TrackEvents($events: [AnalyticsEventInput!]!) {\n  trackEvents(events: $events) {\n    accepted\n    duplicates\n  }\n}\n\nmutation OpenTicket($input: OpenTicketInput!) {\n  openTicket(input: $input) {\n    id\n    subject\n    status\n    createdAt\n  }\n}\n\nmutation SendMessage($text: String!) {\n  sendMessage(text: $text) {\n    messageId\n    sentAt\n  }\n}\n\nmutation CreateInvoice($input: CreateInvoiceInput!) {\n  createInvoice(input: $input) {\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    starsInvoiceLink\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;