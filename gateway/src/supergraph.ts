/** Where the gateway's supergraph comes from and where its subgraphs live. */
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_SUPERGRAPH_PATH = resolve(PROJECT_ROOT, 'schema/supergraph.graphql');

export function readSupergraph(path: string | undefined): { path: string; sdl: string } {
  const file = resolve(path ?? DEFAULT_SUPERGRAPH_PATH);
  return { path: file, sdl: readFileSync(file, 'utf8') };
}

/**
 * Routing URL overrides: SUBGRAPH_URL_<NAME>=http://... (name upper-cased).
 * Lets tests and alternative deployments move a subgraph without recomposing.
 */
export function subgraphUrlOverride(env: NodeJS.ProcessEnv = process.env) {
  return (name: string, url: string): string => env[`SUBGRAPH_URL_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] ?? url;
}

/** name → routing URL, read from the join__Graph enum of a supergraph. */
export function subgraphUrls(supergraphSdl: string, override = subgraphUrlOverride()): Map<string, string> {
  const urls = new Map<string, string>();
  for (const m of supergraphSdl.matchAll(/@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]*)"\)/g)) {
    urls.set(m[1]!, override(m[1]!, m[2]!));
  }
  return urls;
}
