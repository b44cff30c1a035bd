/**
 * Composition as a library: read the Rover-shaped supergraph.yaml, compose
 * with @apollo/composition, derive the client-facing API schema and the
 * partner contract. Used by `npm run compose` and by tests that compose
 * broken inputs on purpose.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  GraphQLSchema,
  GraphQLObjectType,
  GraphQLNonNull,
  GraphQLList,
  Source,
  isObjectType,
  isInterfaceType,
  isNonNullType,
  isListType,
  parse,
  type GraphQLOutputType,
  printSchema,
  lexicographicSortSchema,
  type GraphQLNamedType,
  type GraphQLError,
  type ConstDirectiveNode,
} from 'graphql';
import { composeServices } from '@apollo/composition';

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
      const where = e.locations?.[0] ? `${relative(process.cwd(), s.schemaFile)}:${e.locations[0].line}:${e.locations[0].column}` : s.schemaFile;
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

function hasTag(directives: readonly ConstDirectiveNode[] | undefined, tag: string): boolean {
  return (directives ?? []).some(
    (d) =>
      d.name.value === 'tag' &&
      d.arguments?.some((a) => a.name.value === 'name' && a.value.kind === 'StringValue' && a.value.value === tag),
  );
}

/**
 * The partner contract: the API schema filtered to elements tagged `tag` in
 * any subgraph (a tagged type keeps all its fields), then pruned to what is
 * reachable from the query root. What GraphOS contracts do, offline.
 * Mutations are never part of the contract.
 */
export function contractSchema(apiSchema: GraphQLSchema, supergraphSdl: string, tag: string): GraphQLSchema {
  const taggedTypes = new Set<string>();
  const taggedFields = new Set<string>();
  for (const def of parse(supergraphSdl).definitions) {
    if (!('name' in def) || !def.name) continue;
    const typeName = def.name.value;
    if ('directives' in def && hasTag(def.directives as readonly ConstDirectiveNode[] | undefined, tag)) taggedTypes.add(typeName);
    if ('fields' in def && def.fields) {
      for (const f of def.fields) if (hasTag(f.directives as readonly ConstDirectiveNode[] | undefined, tag)) taggedFields.add(`${typeName}.${f.name.value}`);
    }
  }
  const keep = (type: string, field: string) => taggedTypes.has(type) || taggedFields.has(`${type}.${field}`);
  const rebuilt = new Map<string, GraphQLNamedType>();
  // Filter object types' fields; graphql-js reaches the other types from the roots.
  const filterObject = (type: GraphQLObjectType): GraphQLObjectType => {
    const existing = rebuilt.get(type.name);
    if (existing) return existing as GraphQLObjectType;
    const config = type.toConfig();
    const created: GraphQLObjectType = new GraphQLObjectType({
      ...config,
      interfaces: [],
      fields: () =>
        Object.fromEntries(
          Object.entries(config.fields)
            .filter(([name]) => keep(type.name, name))
            .map(([name, field]) => [name, { ...field, type: remap(field.type) }]),
        ),
    });
    rebuilt.set(type.name, created);
    return created;
  };
  const remap = <T extends GraphQLOutputType>(type: T): T => {
    if (isNonNullType(type)) return new GraphQLNonNull(remap(type.ofType)) as unknown as T;
    if (isListType(type)) return new GraphQLList(remap(type.ofType)) as unknown as T;
    if (isObjectType(type)) return filterObject(type) as unknown as T;
    if (isInterfaceType(type)) throw new Error(`contract "${tag}": interface ${type.name} is not supported in contracts yet`);
    return type;
  };
  const query = apiSchema.getQueryType();
  if (!query) throw new Error('API schema has no Query type');
  const schema = new GraphQLSchema({ query: filterObject(query) });
  for (const t of Object.values(schema.getTypeMap())) {
    if (isObjectType(t) && Object.keys(t.getFields()).length === 0) {
      throw new Error(`contract "${tag}": type ${t.name} is reachable but has none of its fields tagged`);
    }
  }
  return lexicographicSortSchema(schema);
}
