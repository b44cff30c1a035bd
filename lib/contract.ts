/**
 * The partner contract: the API schema filtered to what carries a given
 * `@tag` (what GraphOS contracts do, offline). Built with graphql-tools'
 * schema transforms (`mapSchema` filters members, `pruneSchema` drops what
 * is no longer reachable) rather than hand-rebuilt types.
 *
 * Rules (tags are read from the supergraph, where composition merged every
 * subgraph's @tag):
 *   - object and interface fields: kept when the field or its type is tagged;
 *   - union members and interface implementations: kept when the member type
 *     is in the contract (tagged itself or with a tagged field);
 *   - enum values: all of them when the enum is tagged, else only tagged ones;
 *   - mutations and subscriptions are never part of the contract;
 *   - whatever is no longer reachable from Query is pruned.
 * A type reached from the contract but left without any member is an error
 * (a tagged field whose return type has nothing tagged): silently dropping
 * the field would hide the mistake.
 */
import {
  Kind,
  getNamedType,
  isEnumType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  lexicographicSortSchema,
  parse,
  validateSchema,
  GraphQLUnionType,
  type DirectiveNode,
  type GraphQLSchema,
} from 'graphql';
import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';

interface Tags {
  types: Set<string>;
  /** `Type.field` and `Enum.VALUE` coordinates. */
  members: Set<string>;
}

function hasTag(directives: readonly DirectiveNode[] | undefined, tag: string): boolean {
  return (directives ?? []).some(
    (d) =>
      d.name.value === 'tag' && d.arguments?.some((a) => a.name.value === 'name' && a.value.kind === Kind.STRING && a.value.value === tag),
  );
}

/** Every type, field and enum value of the supergraph that carries `@tag(name: tag)`. */
export function readTags(supergraphSdl: string, tag: string): Tags {
  const tags: Tags = { types: new Set(), members: new Set() };
  for (const def of parse(supergraphSdl).definitions) {
    if (!('name' in def) || !def.name || !('directives' in def)) continue;
    const typeName = def.name.value;
    if (hasTag(def.directives, tag)) tags.types.add(typeName);
    if ('fields' in def) for (const f of def.fields ?? []) if (hasTag(f.directives, tag)) tags.members.add(`${typeName}.${f.name.value}`);
    if ('values' in def) for (const v of def.values ?? []) if (hasTag(v.directives, tag)) tags.members.add(`${typeName}.${v.name.value}`);
  }
  return tags;
}

export function contractSchema(apiSchema: GraphQLSchema, supergraphSdl: string, tag: string): GraphQLSchema {
  const tags = readTags(supergraphSdl, tag);
  const hasTaggedMember = (type: string) => [...tags.members].some((m) => m.startsWith(`${type}.`));
  const inContract = (type: string) => tags.types.has(type) || hasTaggedMember(type);
  const keepField = (_field: unknown, fieldName: string, typeName: string) =>
    tags.types.has(typeName) || tags.members.has(`${typeName}.${fieldName}`) ? undefined : null;

  const filtered = mapSchema(apiSchema, {
    [MapperKind.MUTATION]: () => null,
    [MapperKind.SUBSCRIPTION]: () => null,
    [MapperKind.OBJECT_FIELD]: keepField,
    [MapperKind.INTERFACE_FIELD]: keepField,
    // An implementation outside the contract is emptied above, then pruned; here only unions need a hand.
    [MapperKind.UNION_TYPE]: (type) => {
      const config = type.toConfig();
      return new GraphQLUnionType({ ...config, types: config.types.filter((member) => inContract(member.name)) });
    },
    [MapperKind.ENUM_VALUE]: (value, enumName, _schema, externalValue) =>
      tags.types.has(enumName) || tags.members.has(`${enumName}.${externalValue}`) ? value : null,
  });
  assertNoEmptyReachableType(filtered, tag);
  const contract = lexicographicSortSchema(pruneSchema(filtered));
  // E.g. an implementation in the contract without an interface field it must provide: fail at compose time, not at gateway start.
  const invalid = validateSchema(contract);
  if (invalid.length > 0) throw new Error(`contract "${tag}" is not a valid schema: ${invalid.map((e) => e.message).join('; ')}`);
  return contract;
}

/** Walks from Query through kept fields; a reached type with no member left would be invalid or silently lost. */
function assertNoEmptyReachableType(schema: GraphQLSchema, tag: string): void {
  const query = schema.getQueryType();
  if (!query || Object.keys(query.getFields()).length === 0) throw new Error(`contract "${tag}": no Query field is tagged`);
  const seen = new Set<string>();
  const queue = [query.name];
  while (queue.length > 0) {
    const type = schema.getType(queue.pop()!);
    if (!type || seen.has(type.name)) continue;
    seen.add(type.name);
    const empty = (what: string) => new Error(`contract "${tag}": type ${type.name} is reachable but has none of its ${what} tagged`);
    if (isObjectType(type) || isInterfaceType(type)) {
      const fields = Object.values(type.getFields());
      if (fields.length === 0) throw empty('fields');
      for (const f of fields) queue.push(getNamedType(f.type).name, ...f.args.map((a) => getNamedType(a.type).name));
      // Implementations left without fields are outside the contract: pruned, not an error.
      if (isInterfaceType(type))
        queue.push(
          ...schema
            .getPossibleTypes(type)
            .filter((t) => Object.keys(t.getFields()).length > 0)
            .map((t) => t.name),
        );
    } else if (isUnionType(type)) {
      if (type.getTypes().length === 0) throw empty('member types');
      queue.push(...type.getTypes().map((t) => t.name));
    } else if (isEnumType(type) && type.getValues().length === 0) {
      throw empty('values');
    }
  }
}
