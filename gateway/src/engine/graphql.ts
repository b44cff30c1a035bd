// graphql-js runtime values, loaded through require() on purpose.
//
// graphql 16 ships both index.js (CJS) and index.mjs without an "exports"
// map. Plain Node resolves `import 'graphql'` to index.js, the same instance
// @apollo/* (CJS) use; bundler-style resolvers (Vite/vitest, esbuild) pick
// index.mjs and create a second instance, which breaks `instanceof
// GraphQLError` in Apollo Server and graphql's own "another realm" checks.
// Requiring it pins the engine to the instance Apollo uses, everywhere.
import { createRequire } from 'node:module';

const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export const GraphQLError = graphql.GraphQLError;
export type GraphQLError = import('graphql').GraphQLError;
export const Kind = graphql.Kind;
export const OperationTypeNode = graphql.OperationTypeNode;
export const executeSync = graphql.executeSync;
export const getVariableValues = graphql.getVariableValues;
export const visit = graphql.visit;
export const isAbstractType = graphql.isAbstractType;
export const isInterfaceType = graphql.isInterfaceType;
export const isObjectType = graphql.isObjectType;
export const parse = graphql.parse;
