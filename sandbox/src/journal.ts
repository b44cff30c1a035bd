/**
 * The request journal: what each emulated service was asked, so tests of other parts can count
 * calls ("one HubSpot batch/read for 50 users") and developers can watch traffic on stdout.
 * Bodies are stored redacted; the journal never holds tokens or secrets.
 */
import type { ServiceName } from './http.ts';

export interface JournalEntry {
  /** Increasing sequence number, unique for the life of the sandbox process. */
  seq: number;
  service: ServiceName;
  method: string;
  /** Path below the service prefix (Telegram's bot token replaced). */
  path: string;
  /** Canonical operation when it differs from the path (Telegram method name as documented). */
  operation?: string;
  query: Record<string, string | string[]>;
  /** Parsed body (JSON, form or NDJSON), credentials redacted. */
  body: unknown;
  status: number;
  durationMs: number;
  /** ISO time the request arrived. */
  at: string;
  /** Short summary such as "50 inputs". */
  note?: string;
  /** Set when the reply came from an injected fault rather than the emulator. */
  fault?: true;
}

export interface JournalFilter {
  service?: string;
  method?: string;
  /** Substring of the path or operation. */
  path?: string;
}

export class Journal {
  readonly limit: number;
  #entries: JournalEntry[] = [];
  #seq = 0;

  constructor(limit = 5000) {
    this.limit = limit;
  }

  record(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    this.#seq += 1;
    const full: JournalEntry = { seq: this.#seq, ...entry };
    this.#entries.push(full);
    // Bounded so a long benchmark run cannot grow memory without limit: the oldest entries go first.
    if (this.#entries.length > this.limit) this.#entries.splice(0, this.#entries.length - this.limit);
    return full;
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    return this.#entries.filter(
      (e) =>
        (!filter.service || e.service === filter.service) &&
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (!filter.path || e.path.includes(filter.path) || (e.operation?.includes(filter.path) ?? false)),
    );
  }

  clear(): number {
    const count = this.#entries.length;
    this.#entries = [];
    return count;
  }
}

/** One readable stdout line, e.g. `sandbox  hubspot    POST /crm/v3/objects/contacts/batch/read 200 2ms (50 inputs)`. */
export function formatJournalLine(entry: JournalEntry): string {
  const note = [entry.fault ? 'injected fault' : '', entry.note ?? ''].filter(Boolean).join(', ');
  return `sandbox  ${entry.service.padEnd(9)}  ${entry.method} ${entry.path} ${entry.status} ${entry.durationMs}ms${note ? ` (${note})` : ''}`;
}
