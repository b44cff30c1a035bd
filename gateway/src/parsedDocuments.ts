/**
 * Apollo Server's cache of parsed documents (by query hash), bounded by what the documents really
 * retain: their tokens and source (documentRetainedBytes). Apollo's own default counts a document by
 * its JSON (a quarter of its heap, locations left out) against 30 MB; estimated by 4x its source
 * length, an 8 MB store of the federation benchmark's query held ~60 MB (2,000 documents of 31 KB).
 */
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { documentRetainedBytes } from '@tma/engine';
import type { DocumentNode } from 'graphql';

export function createParsedDocumentCache(maxBytes: number): InMemoryLRUCache<DocumentNode> {
  return new InMemoryLRUCache<DocumentNode>({ maxSize: maxBytes, sizeCalculation: documentRetainedBytes });
}
