/**
 * `npm run schema:check`: what a subgraph schema change does to clients,
 * before it ships. Composes the subgraphs as `npm run compose` would (nothing
 * is written) and compares the new API schema and partner contract with the
 * committed `schema/api.graphql` and `schema/public.graphql` using GraphQL
 * Inspector's differ, printing every change with its severity. It fails when
 *   - a change to the partner contract is BREAKING and not acknowledged in
 *     `schema/acknowledged-changes.yaml` (partners' code is not ours to fix), or
 *   - an operation of a persisted-documents manifest (ours, and any listed in
 *     PERSISTED_DOCUMENTS_MANIFESTS) no longer validates against the new API.
 * Breaking changes to the rest of the API are printed, not fatal: the Mini
 * App's own operations are exactly what the manifest check covers.
 *
 *   npm run schema:check                      # against the committed files
 *   npm run schema:check -- --base origin/main  # against the files as committed at a git ref
 *   npm run schema:check -- --config <dir>/supergraph.yaml  # another project layout (tests)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { DEFER_DIRECTIVE_SDL } from '../lib/deferDirective.ts';
import { diff, CriticalityLevel, type Change } from '@graphql-inspector/core';
import { parse as parseYaml } from 'yaml';
import { composeSupergraph, readSupergraphConfig } from '../lib/composition.ts';
import { parseManifest } from '../gateway/src/persisted/manifest.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { config: { type: 'string' }, base: { type: 'string' } } });
const configPath = resolve(values.config ?? resolve(root, 'supergraph.yaml'));
const projectDir = dirname(configPath);
export const ACK_FILE = 'schema/acknowledged-changes.yaml';

interface Acknowledgement {
  type: string;
  path?: string;
  reason: string;
}

/** The committed version of a schema file: the working tree, or `git show <base>:<file>`. */
function committed(file: string): string {
  if (!values.base) return readFileSync(resolve(projectDir, file), 'utf8');
  const inRepo = relative(
    execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: projectDir, encoding: 'utf8' }).trim(),
    resolve(projectDir, file),
  );
  return execFileSync('git', ['show', `${values.base}:${inRepo}`], { cwd: projectDir, encoding: 'utf8' });
}

function readAcknowledgements(): Acknowledgement[] {
  const path = resolve(projectDir, ACK_FILE);
  if (!existsSync(path)) return [];
  const raw = parseYaml(readFileSync(path, 'utf8')) as { acknowledged?: unknown } | null;
  const list = raw?.acknowledged ?? [];
  if (!Array.isArray(list)) throw new Error(`${ACK_FILE}: "acknowledged" must be a list`);
  return list.map((entry: Partial<Acknowledgement>, i) => {
    if (typeof entry?.type !== 'string' || typeof entry.reason !== 'string' || entry.reason.trim() === '') {
      throw new Error(
        `${ACK_FILE}: entry ${i + 1} needs "type" (as printed) and a non-empty "reason" ("path" too when the change has one)`,
      );
    }
    return entry as Acknowledgement;
  });
}

const acknowledgedBy = (change: Change, acks: readonly Acknowledgement[]) =>
  acks.find((a) => a.type === change.type && (a.path ?? undefined) === (change.path ?? undefined));

async function compare(
  label: string,
  before: GraphQLSchema,
  after: GraphQLSchema,
  acks: readonly Acknowledgement[] | undefined,
): Promise<Change[]> {
  const changes = await diff(before, after);
  console.log(`${label}: ${changes.length === 0 ? 'no changes' : `${changes.length} change(s)`}`);
  const unacknowledged: Change[] = [];
  for (const change of changes) {
    const ack = acks && change.criticality.level === CriticalityLevel.Breaking ? acknowledgedBy(change, acks) : undefined;
    if (acks && change.criticality.level === CriticalityLevel.Breaking && !ack) unacknowledged.push(change);
    const note = ack ? `  (acknowledged: ${ack.reason})` : '';
    console.log(`  ${change.criticality.level.padEnd(12)} ${change.type}${change.path ? ` ${change.path}` : ''}: ${change.message}${note}`);
  }
  return unacknowledged;
}

/** Every manifest operation must still validate; returns the ids that do not. */
function checkManifests(api: GraphQLSchema): number {
  const paths = [
    resolve(projectDir, 'schema/client/persisted-documents.json'),
    ...(process.env.PERSISTED_DOCUMENTS_MANIFESTS ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  ];
  let checked = 0;
  let invalid = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    for (const [hash, body] of parseManifest(JSON.parse(readFileSync(path, 'utf8')), path)) {
      checked++;
      const errors = validate(api, parse(body));
      if (errors.length === 0) continue;
      invalid++;
      const name = /(?:query|mutation|subscription)\s+(\w+)/.exec(body)?.[1] ?? 'anonymous';
      console.log(
        `  INVALID ${name} (sha256:${hash.slice(0, 12)}… in ${relative(process.cwd(), path)}): ${errors.map((e) => e.message).join('; ')}`,
      );
    }
  }
  console.log(`persisted documents: ${checked} checked against the new API schema, ${invalid} no longer valid`);
  return invalid;
}

try {
  const composed = composeSupergraph(readSupergraphConfig(configPath));
  if (!composed.ok) {
    for (const e of composed.errors) console.error(`  [${e.subgraph ?? 'supergraph'}] ${e.code ? `${e.code}: ` : ''}${e.message}`);
    throw new Error(`composition failed with ${composed.errors.length} error(s)`);
  }
  const acks = readAcknowledgements();
  await compare('api.graphql (Mini App clients)', buildSchema(committed('schema/api.graphql')), buildSchema(composed.apiSdl), undefined);
  const breaking = await compare(
    'public.graphql (partner contract)',
    buildSchema(committed('schema/public.graphql')),
    buildSchema(composed.publicSdl),
    acks,
  );
  const invalid = checkManifests(buildSchema(`${composed.apiSdl}\n${DEFER_DIRECTIVE_SDL}`));
  if (breaking.length > 0) {
    console.log(
      `${breaking.length} breaking change(s) to the partner contract are not acknowledged: add each (type, path, reason) to ${ACK_FILE} once partners are taken care of`,
    );
  }
  const ok = breaking.length === 0 && invalid === 0;
  console.log(`schema check: ${ok ? 'passed' : 'FAILED'}`);
  process.exitCode = ok ? 0 : 1;
} catch (error) {
  console.error(`schema check: ${(error as Error).message}`);
  process.exitCode = 1;
}
