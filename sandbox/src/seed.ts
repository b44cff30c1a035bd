/** The demo data lives in lib/demo so that the analytics subgraph can seed from it without importing the sandbox. */
export * from '../../lib/demo/seed.ts';
