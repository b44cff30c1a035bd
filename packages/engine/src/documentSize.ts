// What a parsed GraphQL document keeps alive on the heap, for the caches that hold documents and
// bound themselves in bytes (Apollo Server's document store, the operation cache).
//
// A document parsed with locations (graphql-js's and Apollo Server's default) keeps every token of
// its source in a linked list, a Location on every node, and the whole source text. Measured (heap
// after a full GC, 1,000 documents each): ~290-350 bytes per token whatever the query looks like
// (the federation benchmark's query: 98 tokens, 31.4 KB; 606 tokens: 172 KB; 16 tokens: 5.5 KB),
// plus the source (a 5,000-character comment: one token). The source length alone is no measure: it
// said 1.5-5 KB for the benchmark's query, which let caches bounded at 8 MB hold 60 MB.
import type { DocumentNode, Token } from 'graphql';

const BYTES_PER_TOKEN = 384;
const BYTES_PER_DOCUMENT = 2048;

/** Estimated heap bytes `document` retains (on the safe side: 1.1-2x the measured size). */
export function documentRetainedBytes(document: DocumentNode): number {
  const loc = document.loc;
  // without locations (parsed with noLocation): no tokens kept, the nodes are about half the JSON
  if (!loc) return 2 * JSON.stringify(document).length + BYTES_PER_DOCUMENT;
  let tokens = 0;
  for (let token: Token | null = loc.startToken; token !== null; token = token.next) tokens++;
  // a source string of two-byte characters takes 2 bytes each
  return tokens * BYTES_PER_TOKEN + 2 * loc.source.body.length + BYTES_PER_DOCUMENT;
}
