/**
 * `npm run compose`: writes schema/supergraph.graphql. `npm run compose -- --check` only says
 * whether the committed file is up to date (exit 1 when stale), for CI and pre-commit use.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { relative } from 'node:path';
import { compose, ROOT, SUPERGRAPH_PATH } from './composition.ts';

const check = process.argv.includes('--check');
const outcome = compose();
if (!outcome.ok) {
  console.error(`Composition failed with ${outcome.errors.length} error(s):`);
  for (const error of outcome.errors) console.error(`  - ${error}`);
  process.exit(1);
}
for (const hint of outcome.hints) console.warn(`hint: ${hint}`);
const current = existsSync(SUPERGRAPH_PATH) ? readFileSync(SUPERGRAPH_PATH, 'utf8') : '';
const target = relative(ROOT, SUPERGRAPH_PATH);
if (check) {
  if (current !== outcome.supergraphSdl) {
    console.error(`${target} is stale: run npm run compose and commit it.`);
    process.exit(1);
  }
  console.log(`${target} is up to date.`);
} else {
  writeFileSync(SUPERGRAPH_PATH, outcome.supergraphSdl);
  console.log(`Wrote ${target}.`);
}
