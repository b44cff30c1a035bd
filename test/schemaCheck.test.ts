/**
 * `npm run schema:check` on a small project of its own (one subgraph, its
 * committed artefacts written by `npm run compose`, a persisted-documents
 * manifest): a safe change passes, a breaking change to the partner contract
 * fails until acknowledged, and an operation the new schema no longer serves
 * fails whatever the contract says.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/stack.ts';

const HEADER = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@tag"])\n';
const BASE_SCHEMA = `${HEADER}
type Product @key(fields: "id") @tag(name: "public") { id: ID! title: String! }
type Order { id: ID! total: Int! }
type Query {
  products: [Product!]! @tag(name: "public")
  orders: [Order!]!
}
`;
const OPERATION = 'query MyOrders { orders { id total } }';

let dir: string;

function writeSubgraph(sdl: string) {
  writeFileSync(join(dir, 'shop.graphql'), sdl);
}

function script(name: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', name), '--config', join(dir, 'supergraph.yaml'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PERSISTED_DOCUMENTS_MANIFESTS: '' },
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tma-schema-check-'));
  writeFileSync(
    join(dir, 'supergraph.yaml'),
    'subgraphs:\n  shop:\n    routing_url: http://127.0.0.1:1/graphql\n    schema:\n      file: ./shop.graphql\n',
  );
  writeSubgraph(BASE_SCHEMA);
  // The committed state: composed artefacts and the Mini App's manifest.
  expect(script('compose.ts').status).toBe(0);
  mkdirSync(join(dir, 'schema/client'), { recursive: true });
  writeFileSync(
    join(dir, 'schema/client/persisted-documents.json'),
    JSON.stringify({ [`sha256:${createHash('sha256').update(OPERATION).digest('hex')}`]: OPERATION }),
  );
});

// Each case runs composition and the differ in child processes: seconds each on busy shared cores.
describe('npm run schema:check', { timeout: 120_000 }, () => {
  it('no change, and a safe change (a new tagged field): passes, printing each change with its severity', () => {
    const same = script('schemaCheck.ts');
    expect(same.status, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain('public.graphql (partner contract): no changes');
    expect(same.stdout).toContain('persisted documents: 1 checked against the new API schema, 0 no longer valid');

    writeSubgraph(BASE_SCHEMA.replace('title: String! }', 'title: String! description: String }'));
    const safe = script('schemaCheck.ts');
    expect(safe.status, safe.stdout + safe.stderr).toBe(0);
    expect(safe.stdout).toMatch(/public\.graphql \(partner contract\): 1 change\(s\)\n\s+NON_BREAKING FIELD_ADDED Product\.description/);
    expect(safe.stdout.trim().split('\n').at(-1)).toBe('schema check: passed');
  });

  it('a breaking change to the partner contract fails until acknowledged in the committed file', () => {
    writeSubgraph(
      BASE_SCHEMA.replace('products: [Product!]! @tag(name: "public")', 'products(first: Int!): [Product!]! @tag(name: "public")'),
    );
    const breaking = script('schemaCheck.ts');
    expect(breaking.status).toBe(1);
    expect(breaking.stdout).toMatch(/BREAKING\s+FIELD_ARGUMENT_ADDED Query\.products\.first/);
    expect(breaking.stdout).toContain('1 breaking change(s) to the partner contract are not acknowledged');
    expect(breaking.stdout.trim().split('\n').at(-1)).toBe('schema check: FAILED');

    writeFileSync(
      join(dir, 'schema/acknowledged-changes.yaml'),
      'acknowledged:\n  - type: FIELD_ARGUMENT_ADDED\n    path: Query.products.first\n    reason: every partner moved to paging in October\n',
    );
    const acknowledged = script('schemaCheck.ts');
    expect(acknowledged.status, acknowledged.stdout).toBe(0);
    expect(acknowledged.stdout).toContain('(acknowledged: every partner moved to paging in October)');

    // An entry without a reason is refused: an acknowledgement says why partners are fine.
    writeFileSync(
      join(dir, 'schema/acknowledged-changes.yaml'),
      'acknowledged:\n  - type: FIELD_ARGUMENT_ADDED\n    path: Query.products.first\n',
    );
    expect(script('schemaCheck.ts').status).toBe(1);
  });

  it('a change outside the contract that breaks a persisted operation fails, naming the operation', () => {
    writeSubgraph(BASE_SCHEMA.replace('type Order { id: ID! total: Int! }', 'type Order { id: ID! amount: Int! }'));
    const run = script('schemaCheck.ts');
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/BREAKING\s+FIELD_REMOVED Order\.total/);
    expect(run.stdout).toContain('public.graphql (partner contract): no changes');
    expect(run.stdout).toMatch(
      /INVALID MyOrders \(sha256:[0-9a-f]{12}… in .*persisted-documents\.json\): Cannot query field "total" on type "Order"/,
    );
    expect(run.stdout).toContain('persisted documents: 1 checked against the new API schema, 1 no longer valid');
  });
});
