/** One HTTP route of the gateway. Its own module so route modules need not import server.ts (which imports them). */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
