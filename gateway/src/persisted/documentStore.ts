/**
 * Persisted documents registered at run time (`npm run documents -- push`),
 * next to the manifest files read at start. Where they live:
 * - REDIS_URL set: a Redis hash (`tma:persisted-documents`) plus a version
 *   counter bumped by every change, shared by every replica that uses that Redis;
 * - otherwise: `DATA_DIR/persisted-documents.json` (the codegen manifest format),
 *   replaced atomically (write + rename), shared by every replica on this machine
 *   that has the same DATA_DIR.
 * Gateways poll the cheap version (a counter, a file stat) every second and
 * reload only when it changed: a push is served by every replica within seconds.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Bytes of document text one store may hold (so every replica's copy is bounded too). */
export const MAX_STORED_DOCUMENT_BYTES = 8 * 1024 * 1024;

export interface DocumentStore {
  /** Where the documents live, for logs and the CLI. */
  describe: string;
  /** A token that changes whenever the documents do. */
  version(): Promise<string>;
  list(): Promise<Map<string, string>>;
  /** Adds (or replaces) documents; returns how many were new. */
  push(documents: ReadonlyMap<string, string>): Promise<number>;
  /** Removes documents by sha256 hex; returns how many existed. */
  remove(hashes: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

const REDIS_KEY = 'tma:persisted-documents';
const REDIS_VERSION_KEY = `${REDIS_KEY}:version`;

export const documentsFile = (dataDir: string) => join(dataDir, 'persisted-documents.json');

const bytesOf = (docs: Iterable<string>) => {
  let total = 0;
  for (const d of docs) total += Buffer.byteLength(d);
  return total;
};

export class DocumentStoreFullError extends Error {
  override name = 'DocumentStoreFullError';
}

function checkSize(docs: Map<string, string>): void {
  const bytes = bytesOf(docs.values());
  if (bytes > MAX_STORED_DOCUMENT_BYTES) {
    throw new DocumentStoreFullError(
      `the store would hold ${bytes} bytes of documents, over the ${MAX_STORED_DOCUMENT_BYTES}-byte limit: remove documents first`,
    );
  }
}

function fileStore(path: string): DocumentStore {
  const read = (): Map<string, string> => {
    try {
      const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
      return new Map(Object.entries(json).map(([id, body]) => [id.replace(/^sha256:/, ''), body]));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
  };
  const write = (docs: Map<string, string>) => {
    checkSize(docs);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(Object.fromEntries([...docs].map(([h, b]) => [`sha256:${h}`, b])), null, 2)}\n`);
    renameSync(tmp, path); // readers see the old file or the new one, never half of one
  };
  return {
    describe: path,
    async version() {
      try {
        const s = statSync(path, { bigint: true });
        return `${s.ino}:${s.mtimeNs}:${s.size}`;
      } catch {
        return 'none';
      }
    },
    async list() {
      return read();
    },
    async push(documents) {
      const docs = read();
      let added = 0;
      for (const [hash, body] of documents) {
        if (!docs.has(hash)) added++;
        docs.set(hash, body);
      }
      write(docs);
      return added;
    },
    async remove(hashes) {
      const docs = read();
      let removed = 0;
      for (const hash of hashes) if (docs.delete(hash)) removed++;
      if (removed > 0) write(docs);
      return removed;
    },
    async close() {},
  };
}

async function redisStore(url: string): Promise<DocumentStore> {
  // loaded only when REDIS_URL is set: node-redis adds ~4 MB of live heap to every gateway that does not use it
  const { createClient } = await import('@redis/client');
  const client = createClient({ url, socket: { connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(retries * 200, 2_000) } });
  client.on('error', () => {}); // reconnects on its own; callers see failed commands
  // Deadline on the first connection: an unreachable REDIS_URL is a clear error, not a hang.
  await Promise.race([
    client.connect(),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`Redis at REDIS_URL did not answer within 5 s`)), 5_000).unref()),
  ]).catch(async (error: unknown) => {
    await client.destroy();
    throw error;
  });
  return {
    describe: `redis ${new URL(url).host}${new URL(url).pathname} key ${REDIS_KEY}`,
    async version() {
      return (await client.get(REDIS_VERSION_KEY)) ?? '0';
    },
    async list() {
      return new Map(Object.entries(await client.hGetAll(REDIS_KEY)));
    },
    async push(documents) {
      const existing = new Map(Object.entries(await client.hGetAll(REDIS_KEY)));
      let added = 0;
      for (const [hash, body] of documents) {
        if (!existing.has(hash)) added++;
        existing.set(hash, body);
      }
      checkSize(existing);
      await client.multi().hSet(REDIS_KEY, Object.fromEntries(documents)).incr(REDIS_VERSION_KEY).exec();
      return added;
    },
    async remove(hashes) {
      if (hashes.length === 0) return 0;
      const [removed] = (await client
        .multi()
        .hDel(REDIS_KEY, [...hashes])
        .incr(REDIS_VERSION_KEY)
        .exec()) as unknown as [number, number];
      return Number(removed);
    },
    async close() {
      await client.close();
    },
  };
}

export function openDocumentStore(options: { redisUrl?: string; dataDir: string }): Promise<DocumentStore> {
  return options.redisUrl ? redisStore(options.redisUrl) : Promise.resolve(fileStore(documentsFile(options.dataDir)));
}

export interface LiveDocuments {
  get(hash: string): string | undefined;
  readonly size: number;
  stop(): Promise<void>;
}

/**
 * The gateway's copy of a store, refreshed when its version changes. A store
 * that cannot be read keeps the last good copy (and says so once per failure run).
 */
export async function watchDocumentStore(
  store: DocumentStore,
  options: { intervalMs?: number; onError?: (error: unknown) => void; onReload?: (count: number) => void } = {},
): Promise<LiveDocuments> {
  let docs = new Map<string, string>();
  let seen: string | undefined;
  let failing = false;
  const refresh = async () => {
    try {
      const version = await store.version();
      if (version !== seen) {
        const next = await store.list();
        if (bytesOf(next.values()) <= MAX_STORED_DOCUMENT_BYTES) {
          docs = next;
          options.onReload?.(docs.size);
        } else
          options.onError?.(
            new DocumentStoreFullError(
              `${store.describe} holds more than ${MAX_STORED_DOCUMENT_BYTES} bytes of documents; keeping the previous set`,
            ),
          );
        seen = version;
      }
      failing = false;
    } catch (error) {
      if (!failing) options.onError?.(error);
      failing = true;
    }
  };
  await refresh();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= refresh().finally(() => (running = undefined));
  }, options.intervalMs ?? 1_000);
  timer.unref();
  return {
    get: (hash) => docs.get(hash),
    get size() {
      return docs.size;
    },
    async stop() {
      clearInterval(timer);
      await running;
      await store.close();
    },
  };
}
