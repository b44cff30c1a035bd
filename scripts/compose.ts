/**
 * `npm run compose`: composes the subgraphs listed in supergraph.yaml with
 * @apollo/composition (what Rover would do, without its binary download) and
 * writes the committed artefacts:
 *   schema/supergraph.graphql  the supergraph the gateway serves
 *   schema/api.graphql         what Mini App clients see
 *   schema/public.graphql      the partner contract (elements tagged "public")
 * `--check` writes nothing and exits 1 when a committed file is stale.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { composeSupergraph, readSupergraphConfig } from '../lib/composition.ts';

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `Type.field` names present in `next` but not in `previous` (whole new types count as their fields). */
function fieldsAddedTo(previous: string | undefined, next: string): string[] {
  if (previous === undefined) return [];
  const fieldsOf = (sdl: string) => {
    const names = new Set<string>();
    for (const type of Object.values(buildSchema(sdl).getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type))
        for (const f of Object.keys(type.getFields())) names.add(`${type.name}.${f}`);
    }
    return names;
  };
  const before = fieldsOf(previous);
  return [...fieldsOf(next)].filter((f) => !before.has(f));
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const configFlag = process.argv.indexOf('--config');
const configPath = configFlag === -1 ? resolve(root, 'supergraph.yaml') : resolve(process.argv[configFlag + 1] ?? '');
// Outputs go next to the config file (the repo root by default).
const outDir = dirname(configPath);

const config = readSupergraphConfig(configPath);
const result = composeSupergraph(config);
if (!result.ok) {
  console.error(`Composition failed with ${result.errors.length} error(s):`);
  for (const e of result.errors)
    console.error(
      `  [${e.subgraph ?? 'supergraph'}] ${e.location ?? ''}${e.location ? ': ' : ''}${e.code ? `${e.code}: ` : ''}${e.message}`,
    );
  process.exit(1);
}

const outputs: Record<string, string> = {
  'schema/supergraph.graphql': result.supergraphSdl,
  'schema/api.graphql': result.apiSdl,
  'schema/public.graphql': result.publicSdl,
};
// The partner contract grows silently when a field is added to a type tagged "public": say so.
const added = fieldsAddedTo(readIfExists(resolve(outDir, 'schema/public.graphql')), result.publicSdl);
if (added.length > 0 && !check) {
  console.warn(`WARNING: the partner contract (schema/public.graphql) gains ${added.length} field(s): ${added.join(', ')}`);
  console.warn(
    '  partners see them once this is deployed. A type tagged @tag(name: "public") shares every field it has: to keep a field private, tag the public fields one by one instead of the type.',
  );
}

let stale = 0;
for (const [file, content] of Object.entries(outputs)) {
  const path = resolve(outDir, file);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (check) {
    console.error(`stale: ${file} (run \`npm run compose\`)`);
    stale++;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${file}`);
  }
}
if (check && stale > 0) process.exit(1);
if (!check) console.log(`composed ${config.subgraphs.length} subgraphs`);
