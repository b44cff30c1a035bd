/**
 * The analytics subgraph: event ingestion (deduplicated per user by insert
 * id, stored durably, forwarded to Mixpanel and Amplitude in the background),
 * `User.activity`, operator reports, and deletion of a user's data here and
 * at both destinations.
 */
import { defineSubgraph } from '../shared/subgraph.ts';
import { openDatabase, type Database } from '../shared/db.ts';
import { createAmplitudeSink, createMixpanelSink, type AnalyticsSink } from '../shared/connectors/analyticsSinks.ts';
import { createEventStore, STORE_MIGRATIONS, type EventStore } from './store.ts';
import { startForwarder } from './forwarder.ts';
import { startDeletionWorker } from './deletions.ts';
import { analyticsResolvers } from './resolvers.ts';
import { seedDemoEvents } from './seed.ts';

interface Services {
  db: Database;
  store: EventStore;
  forwarder: ReturnType<typeof startForwarder>;
  deletions: ReturnType<typeof startDeletionWorker>;
  close(): Promise<void>;
}

export default defineSubgraph<Services>({
  name: 'analytics',
  defaultPort: 4004,
  schemaUrl: new URL('./schema.graphql', import.meta.url),
  async createServices({ config, log }) {
    const db = await openDatabase({
      name: 'analytics',
      dataDir: config.dataDir,
      databaseUrl: config.DATABASE_URL,
      migrations: STORE_MIGRATIONS,
      log,
    });
    // A sink switched off (production without its credentials) is not forwarded to at all: events are still stored.
    const sinks: AnalyticsSink[] = [
      ...(config.mixpanel.enabled
        ? [
            createMixpanelSink({
              baseUrl: config.mixpanel.baseUrl,
              token: config.mixpanel.token,
              gdprToken: config.mixpanel.gdprToken,
              deletionUrl: config.mixpanel.deletionUrl,
              log,
            }),
          ]
        : []),
      ...(config.amplitude.enabled
        ? [
            createAmplitudeSink({
              baseUrl: config.amplitude.baseUrl,
              apiKey: config.amplitude.apiKey,
              secretKey: config.amplitude.secretKey,
              deletionUrl: config.amplitude.deletionUrl,
              log,
            }),
          ]
        : []),
    ];
    const store = createEventStore(
      db,
      sinks.map((s) => s.name),
    );
    if (config.mixpanel.sandbox) await seedDemoEvents(store, log);
    const forwarder = startForwarder(store, sinks, log);
    const deletions = startDeletionWorker(store, sinks, log);
    return {
      db,
      store,
      forwarder,
      deletions,
      async close() {
        await forwarder.stop();
        await deletions.stop();
        await Promise.all(sinks.map((s) => s.close()));
        await db.close();
      },
    };
  },
  resolvers: () => analyticsResolvers,
});
