/**
 * `npm run track -- <reference> <token> [--after <cursor>] [--for <seconds>] [--url ws://127.0.0.1:4000/graphql]`:
 * follows one request through the gateway over graphql-ws and prints each change as it arrives,
 * parcel-tracking style — what a citizen's app does with the token `submitRequest` returned.
 * Ctrl-C stops (or `--for`, after that many seconds: scripts and the README's test use it); run it
 * again with `--after` and the last cursor printed to get what was missed.
 */
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';

const USAGE = 'usage: npm run track -- <reference> <tracking or agent token> [--after <cursor>] [--for <seconds>] [--url ws://127.0.0.1:4000/graphql]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { after: { type: 'string' }, for: { type: 'string' }, url: { type: 'string', default: 'ws://127.0.0.1:4000/graphql' } },
});
const [reference, token] = positionals;
const seconds = values.for === undefined ? undefined : Number(values.for);
if (!reference || !token || (seconds !== undefined && !(seconds > 0))) {
  console.error(USAGE);
  process.exit(2);
}

const client = createClient({
  url: values.url!,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token.replace(/^Bearer\s+/i, '')}` },
  retryAttempts: 0,
});

interface Update {
  status: string;
  updatedAt: string;
  cursor: string;
  service: { name: string };
  estimatedCompletion: { median: string; basedOn: number } | null;
  timeline: { at: string; status: string | null; message: string | null }[];
}

console.log(`Following ${reference}${values.after ? ` from ${values.after}` : ''}… (Ctrl-C to stop)`);
const stop = client.subscribe<{ requestUpdated: Update }>(
  {
    query: `subscription Track($reference: String!, $after: String) {
      requestUpdated(reference: $reference, after: $after) {
        status updatedAt cursor service { name }
        estimatedCompletion { median basedOn }
        timeline { at status message }
      } }`,
    variables: { reference, after: values.after },
  },
  {
    next: ({ data, errors }) => {
      if (errors) console.error(JSON.stringify(errors));
      const update = data?.requestUpdated;
      if (!update) return;
      const estimate = update.estimatedCompletion
        ? `expected around ${update.estimatedCompletion.median.slice(0, 10)} (from ${update.estimatedCompletion.basedOn} similar requests)`
        : 'no estimate';
      const last = update.timeline.at(-1);
      console.log(`${update.updatedAt}  ${update.status.padEnd(20)} ${update.service.name} — ${estimate}`);
      if (last?.message) console.log(`    ${last.message}`);
      console.log(`    cursor ${update.cursor}`);
    },
    error: (error) => {
      console.error('Subscription ended:', error instanceof Error ? error.message : JSON.stringify(error));
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
client.on('connected', () => console.log(`Connected to ${values.url}; waiting for changes.`));
const finish = () => {
  stop();
  void client.dispose();
  process.exit(0);
};
process.on('SIGINT', finish);
if (seconds !== undefined) setTimeout(finish, seconds * 1000);
