/**
 * Engine hook (packages/engine subgraphRequest.ts): one CLIENT span per
 * subgraph fetch, named after the subgraph (`fetch payments`), child of the
 * gateway's request span. The W3C `traceparent` sent to the subgraph is this
 * span's, so the subgraph's SERVER span hangs under the fetch that caused it
 * and a trace shows which fetch was slow. Installed only when tracing is on
 * (executors.ts, for every fast engine of the gateway): with tracing off the
 * engine's per-request path has no extra link.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { SubgraphHook } from '@tma/engine';
import { injectTraceHeaders, withClientSpan } from '../../lib/tracing.ts';

export const subgraphSpanHook: SubgraphHook = (request, next) =>
  withClientSpan(
    `fetch ${request.subgraphName}`,
    { 'graphql.subgraph.name': request.subgraphName, 'graphql.operation.type': request.operationKind },
    async (span) => {
      // A new object: the request's headers may be shared with its other fetches (headersHook memoizes them).
      request.headers = injectTraceHeaders({ ...request.headers });
      const response = await next(request);
      if (response.kind === 'response') {
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        // The error's name only: its message may carry the subgraph's address.
        span.setStatus({ code: SpanStatusCode.ERROR, message: response.error.name });
      }
      return response;
    },
  );
