/**
 * Fault injection for resilience tests: the next `count` requests to one service are delayed
 * and/or answered with an error status in that service's own error shape.
 */
import { isRecord, SERVICE_NAMES, type ServiceName } from './http.ts';

export interface FaultRule {
  service: ServiceName;
  /** HTTP status to answer with (429, 500, 503...); absent = only delay. */
  status?: number;
  /** Requests still affected. */
  count: number;
  delayMs: number;
  /** Seconds to advertise where the service has such a field (Telegram `parameters.retry_after`). */
  retryAfter: number;
}

export type FaultInput = Partial<Omit<FaultRule, 'service'>> & { service?: unknown };

export class Faults {
  #rules = new Map<ServiceName, FaultRule>();

  /** Validates and installs a rule (replacing any rule for that service); returns an error message when invalid. */
  set(input: unknown): FaultRule | string {
    if (!isRecord(input)) return 'body must be a JSON object';
    const service = input.service;
    if (typeof service !== 'string' || !SERVICE_NAMES.includes(service as ServiceName)) {
      return `service must be one of ${SERVICE_NAMES.join(', ')}`;
    }
    const status = input.status;
    if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)) {
      return 'status must be an integer 400..599';
    }
    const count = input.count ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) return 'count must be a positive integer';
    const delayMs = input.delayMs ?? 0;
    if (typeof delayMs !== 'number' || delayMs < 0 || delayMs > 120_000) return 'delayMs must be 0..120000';
    const retryAfter = input.retryAfter ?? 1;
    if (typeof retryAfter !== 'number' || !Number.isInteger(retryAfter) || retryAfter < 0)
      return 'retryAfter must be a non-negative integer';
    if (status === undefined && delayMs === 0) return 'give a status, a delayMs, or both';
    const rule: FaultRule = { service: service as ServiceName, count, delayMs, retryAfter, ...(status === undefined ? {} : { status }) };
    this.#rules.set(rule.service, rule);
    return { ...rule };
  }

  /** Consumes one use of the rule for `service`, if any. */
  take(service: ServiceName): FaultRule | undefined {
    const rule = this.#rules.get(service);
    if (!rule) return undefined;
    rule.count -= 1;
    if (rule.count <= 0) this.#rules.delete(service);
    return { ...rule };
  }

  list(): FaultRule[] {
    return [...this.#rules.values()].map((rule) => ({ ...rule }));
  }

  clear(service?: ServiceName): void {
    if (service) this.#rules.delete(service);
    else this.#rules.clear();
  }
}
