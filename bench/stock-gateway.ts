/**
 * The reference: stock @apollo/gateway in @apollo/server 5 standalone, doing
 * the same work our gateway must do to reach these subgraphs (verify initData,
 * forward the identity as the internal token). Nothing else of ours.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { loadConfig } from '../lib/config.ts';
import { createInternalTokenSigner, type Identity } from '../lib/internalToken.ts';
import { createInitDataVerifier } from '../gateway/src/auth/initData.ts';
import { createIdentityResolver } from '../gateway/src/auth/identity.ts';
import { readSupergraph, subgraphUrlOverride } from '../gateway/src/supergraph.ts';

const config = loadConfig();
const resolveIdentity = createIdentityResolver(
  createInitDataVerifier({ botToken: config.telegram.botToken, maxAgeSeconds: config.INIT_DATA_MAX_AGE_SECONDS }),
  config.OPERATOR_USER_IDS,
);
const sign = createInternalTokenSigner(config.INTERNAL_JWT_SECRET!);
const override = subgraphUrlOverride();

interface Ctx {
  identity: Identity;
  token: string;
}

class Forwarding extends RemoteGraphQLDataSource<Ctx> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Ctx>) {
    request.http?.headers.set('authorization', `Bearer ${context.token}`);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readSupergraph(config.SUPERGRAPH_PATH).sdl,
  buildService: ({ name, url }) => new Forwarding({ url: override(name, url ?? '') }),
});
const server = new ApolloServer<Ctx>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: config.PORT, host: config.HOST },
  context: async ({ req }) => {
    const identity = resolveIdentity(req.headers.authorization);
    return { identity, token: await sign(identity) };
  },
});
console.log(JSON.stringify({ msg: `stock gateway ready at ${url}` }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void server.stop().finally(() => process.exit(0)));
