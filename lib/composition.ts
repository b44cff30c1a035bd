/**
 * Composition as a library: read the Rover-shaped supergraph.yaml, compose
 * with @apollo/composition, derive the client-facing API schema and the
 * partner contract. Used by `npm run compose` and by tests that compose
 * broken inputs on purpose.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Source, parse, printSchema, lexicographicSortSchema, type GraphQLError } from 'graphql';
import { composeServices } from '@apollo/composition';
import { contractSchema } from './contract.ts';

export interface SubgraphConfig {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

export interface SupergraphConfig {
  subgraphs: SubgraphConfig[];
}

export function readSupergraphConfig(file: string): SupergraphConfig {
  const raw = parseYaml(readFileSync(file, 'utf8')) as { subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }> };
  const base = dirname(file);
  const subgraphs = Object.entries(raw.subgraphs ?? {}).map(([name, entry]) => {
    if (!entry.routing_url || !entry.schema?.file) {
      throw new Error(`supergraph.yaml: subgraph "${name}" needs routing_url and schema.file`);
    }
    return { name, routingUrl: entry.routing_url, schemaFile: resolve(base, entry.schema.file) };
  });
  if (subgraphs.length === 0) throw new Error('supergraph.yaml lists no subgraphs');
  return { subgraphs };
}

export interface CompositionProblem {
  subgraph?: string;
  location?: string;
  code?: string;
  message: string;
}

export type CompositionResult =
  | { ok: true; supergraphSdl: string; apiSdl: string; publicSdl: string }
  | { ok: false; errors: CompositionProblem[] };

function describe(error: GraphQLError, names: string[]): CompositionProblem {
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
  const bracket = /^\[([^\]]+)\]/.exec(error.message)?.[1];
  const fromNodes = (error.nodes ?? [])
    .map((n) => n.loc?.source)
    .filter((s): s is Source => s !== undefined)
    .map((s) => s.name);
  const subgraph = names.find((n) => n === bracket) ?? fromNodes.map((f) => names.find((n) => f.includes(`/${n}/`))).find(Boolean);
  const loc = error.nodes?.[0]?.loc;
  let location: string | undefined;
  if (loc) {
    const line = loc.source.body.slice(0, loc.start).split('\n').length;
    location = `${relative(process.cwd(), loc.source.name)}:${line}`;
  } else if (error.locations?.[0]) {
    location = `line ${error.locations[0].line}:${error.locations[0].column}`;
  }
  return { subgraph, location, code, message: error.message };
}

export function composeSupergraph(config: SupergraphConfig): CompositionResult {
  const names = config.subgraphs.map((s) => s.name);
  const services = [];
  const parseErrors: CompositionProblem[] = [];
  for (const s of config.subgraphs) {
    try {
      services.push({ name: s.name, url: s.routingUrl, typeDefs: parse(new Source(readFileSync(s.schemaFile, 'utf8'), s.schemaFile)) });
    } catch (error) {
      const e = error as GraphQLError;
      const where = e.locations?.[0]
        ? `${relative(process.cwd(), s.schemaFile)}:${e.locations[0].line}:${e.locations[0].column}`
        : s.schemaFile;
      parseErrors.push({ subgraph: s.name, location: where, code: 'INVALID_GRAPHQL', message: e.message });
    }
  }
  if (parseErrors.length > 0) return { ok: false, errors: parseErrors };

  const result = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map((e) => describe(e, names)) };

  const apiSchema = lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  return {
    ok: true,
    supergraphSdl: result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`,
    apiSdl: `${printSchema(apiSchema)}\n`,
    publicSdl: `${printSchema(contractSchema(apiSchema, result.supergraphSdl, 'public'))}\n`,
  };
}
