/** Generated artefacts are committed; these fail when someone changed a schema or operation without regenerating. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/stack.ts';
import { composeSupergraph } from '../lib/composition.ts';

describe('generated artefacts', () => {
  it('schema/supergraph.graphql, api.graphql and public.graphql match the subgraph schemas', () => {
    const run = spawnSync(process.execPath, ['scripts/compose.ts', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('codegen output (resolver types, typed client, persisted documents) is up to date', () => {
    const run = spawnSync(process.execPath, ['node_modules/@graphql-codegen/cli/cjs/bin.js', '--config', 'codegen.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
  }, 120_000);
});

describe('composition errors', () => {
  it('names the subgraph, the location and the message, and the script exits non-zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tma-compose-'));
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    const header = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n';
    writeFileSync(
      join(dir, 'a/schema.graphql'),
      `${header}type Query { thing: Thing }\ntype Thing @key(fields: "id") { id: ID! size: Int }\n`,
    );
    writeFileSync(join(dir, 'b/schema.graphql'), `${header}type Thing @key(fields: "id") { id: ID! size: String }\n`);
    const result = composeSupergraph({
      subgraphs: [
        { name: 'a', routingUrl: 'http://127.0.0.1:1/graphql', schemaFile: join(dir, 'a/schema.graphql') },
        { name: 'b', routingUrl: 'http://127.0.0.1:2/graphql', schemaFile: join(dir, 'b/schema.graphql') },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.errors.find((e) => /Thing\.size/.test(e.message));
    expect(problem).toBeDefined();
    expect(problem!.code).toBeTruthy();
    expect(problem!.location).toMatch(/schema\.graphql:\d+/);

    writeFileSync(
      join(dir, 'supergraph.yaml'),
      `subgraphs:\n  a:\n    routing_url: http://127.0.0.1:1/graphql\n    schema:\n      file: ./a/schema.graphql\n  b:\n    routing_url: http://127.0.0.1:2/graphql\n    schema:\n      file: ./b/schema.graphql\n`,
    );
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/compose.ts'), '--config', join(dir, 'supergraph.yaml'), '--check'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\[(a|b)\] .*schema\.graphql:\d+: .*Thing\.size/);
  });

  it('a syntax error names the subgraph and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tma-compose-'));
    writeFileSync(join(dir, 'broken.graphql'), 'type Query {\n  oops(: Int\n}\n');
    const result = composeSupergraph({
      subgraphs: [{ name: 'broken', routingUrl: 'http://x/graphql', schemaFile: join(dir, 'broken.graphql') }],
    });
    expect(result).toMatchObject({ ok: false, errors: [{ subgraph: 'broken', code: 'INVALID_GRAPHQL' }] });
    if (!result.ok) expect(result.errors[0]!.location).toMatch(/broken\.graphql:2:/);
  });
});
