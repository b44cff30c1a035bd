/**
 * `npm run documents -- <command>`: registers a front-end's persisted documents
 * with every running gateway, without a restart (gateway/src/persisted/documentStore.ts).
 *   push <manifest>...   codegen's persisted-documents.json or Apollo's persisted
 *                        query manifest; every id must be the sha256 of its document,
 *                        and every document must validate against schema/api.graphql
 *                        (`--no-validate` to skip, for a foreign supergraph)
 *   list                 id, operation name and size of every pushed document
 *   remove <id>... | --all
 * The store is the one the gateway uses: Redis with REDIS_URL, else DATA_DIR.
 * Documents from PERSISTED_DOCUMENTS_MANIFESTS files are not touched.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { DEFER_DIRECTIVE_SDL } from '../lib/deferDirective.ts';
import { loadConfig } from '../lib/config.ts';
import { parseManifest } from '../gateway/src/persisted/manifest.ts';
import { openDocumentStore, type DocumentStore } from '../gateway/src/persisted/documentStore.ts';
import { ROOT } from './lib/stack.ts';

class UsageError extends Error {}

const USAGE = 'usage: npm run documents -- push <manifest.json>... [--no-validate] | list | remove <id>... | remove --all';

function operationNames(body: string): string {
  try {
    const names = parse(body, { noLocation: true }).definitions.flatMap((d) =>
      d.kind === 'OperationDefinition' ? [d.name?.value ?? '(anonymous)'] : [],
    );
    return names.join(', ');
  } catch {
    return '(unparsable)';
  }
}

function checkDocuments(docs: Map<string, string>, schema: GraphQLSchema | undefined, source: string): void {
  for (const [hash, body] of docs) {
    let document;
    try {
      document = parse(body);
    } catch (error) {
      throw new UsageError(`${source}: document ${hash} does not parse: ${(error as Error).message}`);
    }
    if (!schema) continue;
    const errors = validate(schema, document);
    if (errors.length > 0)
      throw new UsageError(
        `${source}: document ${hash} (${operationNames(body)}) is not valid against schema/api.graphql: ${errors[0]!.message}`,
      );
  }
}

async function run(store: DocumentStore, args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const positional = rest.filter((a) => !a.startsWith('--'));
  switch (command) {
    case 'push': {
      if (positional.length === 0) throw new UsageError(USAGE);
      const schema = rest.includes('--no-validate')
        ? undefined
        : buildSchema(`${readFileSync(resolve(ROOT, 'schema/api.graphql'), 'utf8')}\n${DEFER_DIRECTIVE_SDL}`);
      const docs = new Map<string, string>();
      for (const file of positional) {
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(file, 'utf8'));
        } catch (error) {
          throw new UsageError(
            `${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(error as Error).message})`}`,
          );
        }
        let parsed: Map<string, string>;
        try {
          parsed = parseManifest(json, file);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        checkDocuments(parsed, schema, file);
        for (const [hash, body] of parsed) docs.set(hash, body);
      }
      const added = await store.push(docs);
      console.log(`pushed ${docs.size} document(s) (${added} new) to ${store.describe}; running gateways serve them within a few seconds`);
      return;
    }
    case 'list': {
      const docs = await store.list();
      for (const [hash, body] of docs) console.log(`sha256:${hash}  ${operationNames(body)}  ${Buffer.byteLength(body)} B`);
      console.log(`${docs.size} document(s) in ${store.describe}`);
      return;
    }
    case 'remove': {
      const hashes = rest.includes('--all')
        ? [...(await store.list()).keys()]
        : positional.map((id) => id.replace(/^sha256:/, '').toLowerCase());
      if (hashes.length === 0 && !rest.includes('--all')) throw new UsageError(USAGE);
      const removed = await store.remove(hashes);
      console.log(`removed ${removed} document(s) from ${store.describe}`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}

// Clear messages, no stack traces: every failure here is about the input or the store's address.
try {
  const config = loadConfig();
  const store = await openDocumentStore({ redisUrl: config.REDIS_URL, dataDir: config.dataDir });
  try {
    await run(store, process.argv.slice(2));
  } finally {
    await store.close();
  }
} catch (error) {
  console.error(`documents: ${(error as Error).message}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
