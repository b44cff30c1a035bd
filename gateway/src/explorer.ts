/**
 * The development explorer: `GET /graphql` from a browser (Accept: text/html)
 * answers an embedded GraphiQL. Every file comes from this project's npm
 * dependencies (graphiql, react, react-dom UMD builds) and is served by the
 * gateway itself, so it works offline and never loads anything from a CDN.
 * A small helper signs sandbox initData, so `me` works from the explorer.
 * Never mounted in production (NODE_ENV=production).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sendJson, sendText } from '../../lib/http/io.ts';
import type { Config } from '../../lib/config.ts';
import { DEFAULT_SANDBOX_USER_ID, signSandboxInitData } from './auth/sandboxInitData.ts';
import { PROJECT_ROOT } from './supergraph.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export const EXPLORER_BASE = '/graphql/explorer';

/** Explorer assets: URL name → package file (UMD builds, no bundler needed). */
const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: 'react/umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { file: 'react-dom/umd/react-dom.production.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { file: 'graphiql/graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { file: 'graphiql/graphiql.min.css', type: 'text/css; charset=utf-8' },
};

const DEFAULT_QUERY = `# The Mini App API (schema/api.graphql). Sign in with the box above to run user fields.
query Catalog {
  products { id title prices { amount currency } }
}

query Me {
  me { id firstName username payments(first: 5) { edges { node { id status amount { amount currency } } } } }
}
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphQL explorer · Mini App gateway (development)</title>
<link rel="stylesheet" href="${EXPLORER_BASE}/graphiql.css">
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
  #signin { display: flex; gap: 8px; align-items: center; padding: 6px 12px; border-bottom: 1px solid #ddd; font-size: 14px; }
  #signin input { width: 12em; }
  #graphiql { flex: 1; min-height: 0; }
</style>
</head>
<body>
<form id="signin">
  <label>Sign in as Telegram user id <input id="user-id" name="userId" value="${DEFAULT_SANDBOX_USER_ID}" inputmode="numeric"></label>
  <button type="submit">Sign sandbox initData</button>
  <button type="button" id="signout">Anonymous</button>
  <span id="signed-as">anonymous</span>
</form>
<div id="graphiql">Loading…</div>
<script src="${EXPLORER_BASE}/react.js"></script>
<script src="${EXPLORER_BASE}/react-dom.js"></script>
<script src="${EXPLORER_BASE}/graphiql.js"></script>
<script src="${EXPLORER_BASE}/explorer.js"></script>
</body>
</html>
`;

// Runs in the browser: GraphiQL with a fetcher that adds the signed `Authorization: tma …` header.
const BOOTSTRAP = `'use strict';
(function () {
  var authorization = null;
  var signedAs = document.getElementById('signed-as');
  document.getElementById('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    var userId = document.getElementById('user-id').value.trim();
    fetch('${EXPLORER_BASE}/initdata?userId=' + encodeURIComponent(userId))
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) { signedAs.textContent = r.body.error; return; }
        authorization = 'tma ' + r.body.initData;
        signedAs.textContent = 'signed in as ' + userId + ' (Authorization: tma … added to every request)';
      });
  });
  document.getElementById('signout').addEventListener('click', function () {
    authorization = null;
    signedAs.textContent = 'anonymous';
  });
  function fetcher(params, options) {
    var headers = Object.assign({ 'content-type': 'application/json' }, (options && options.headers) || {});
    var hasAuth = Object.keys(headers).some(function (h) { return h.toLowerCase() === 'authorization'; });
    if (authorization && !hasAuth) headers.authorization = authorization;
    return fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify(params) }).then(function (res) { return res.json(); });
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, defaultEditorToolsVisibility: true })
  );
})();
`;

/** Whether a request to /graphql is a browser opening it (and should see the explorer). */
export function wantsExplorer(req: IncomingMessage): boolean {
  return req.method === 'GET' && /text\/html/i.test(req.headers.accept ?? '');
}

export interface Explorer {
  page: Handler;
  /** Extra exact-path routes: the assets, the sign-in helper and `/`. */
  routes: Record<string, Handler>;
}

/** The explorer, or undefined in production. */
export function createExplorer(config: Config): Explorer | undefined {
  if (config.NODE_ENV === 'production') return undefined;
  // Read once, on first use: four fixed files, about 3 MB in all.
  const loaded = new Map<string, Buffer>();
  const asset =
    (name: string, spec: { file: string; type: string }): Handler =>
    async (_req, res) => {
      let body = loaded.get(name);
      if (!body) {
        // By path: these packages do not export their UMD files.
        body = readFileSync(join(PROJECT_ROOT, 'node_modules', spec.file));
        loaded.set(name, body);
      }
      res.writeHead(200, { 'content-type': spec.type, 'content-length': body.length, 'cache-control': 'no-cache' });
      res.end(body);
    };
  const routes: Record<string, Handler> = {
    [`${EXPLORER_BASE}/explorer.js`]: async (_req, res) => sendText(res, 200, BOOTSTRAP, 'text/javascript; charset=utf-8'),
    // Signs with the sandbox bot token only: a live bot token never signs initData on request.
    [`${EXPLORER_BASE}/initdata`]: async (req, res) => {
      if (!config.telegram.sandbox) {
        return sendJson(res, 403, {
          error: 'TELEGRAM_BOT_TOKEN is set: sign initData with your bot outside the gateway (npm run initdata)',
        });
      }
      const userId = new URL(req.url ?? '/', 'http://x').searchParams.get('userId') ?? '';
      if (!/^[1-9]\d{0,15}$/.test(userId)) return sendJson(res, 400, { error: 'userId must be a Telegram user id (digits)' });
      sendJson(res, 200, { initData: signSandboxInitData(userId, config.telegram.botToken), authorization: 'tma <initData>' });
    },
    // `/` points developers at the explorer (and lists the endpoints for everyone else).
    '/': async (req, res) => {
      if (/text\/html/i.test(req.headers.accept ?? '')) {
        res.writeHead(302, { location: '/graphql' }).end();
        return;
      }
      sendJson(res, 200, {
        graphql: '/graphql',
        explorer: 'open /graphql in a browser (development only)',
        partners: '/public/graphql',
        health: '/healthz',
        ready: '/readyz',
      });
    },
  };
  for (const [name, spec] of Object.entries(ASSETS)) routes[`${EXPLORER_BASE}/${name}`] = asset(name, spec);
  return { page: async (_req, res) => sendText(res, 200, PAGE, 'text/html; charset=utf-8'), routes };
}
