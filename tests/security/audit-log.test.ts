/**
 * The requests subgraph's audit log (issue 7; subgraphs/requests/access/audit.ts): one JSON line
 * per mutation, whatever its outcome, and per read of personal data — who, what, when.
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../requests/subscriptions-harness.ts';
import { startCast, type Cast } from './requests-harness.ts';

interface Line { at: string; who: { subject: string; kind: string }; action: string; references: string[]; fields: string[]; outcome: string }

describe('Audit log of the requests subgraph', () => {
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-audit-'));
  const path = join(folder, 'nested', 'audit.log');
  let cast: Cast;
  const lines = (): Line[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line) : []);
  const find = async (predicate: (line: Line) => boolean): Promise<Line> => {
    await waitFor(() => lines().some(predicate), 'the audit line');
    return lines().find(predicate)!;
  };

  beforeAll(async () => {
    cast = await startCast({ AUDIT_LOG_PATH: path });
  }, 60_000);
  afterAll(async () => {
    await cast?.system.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('records a mutation, with who did it and its outcome, and a refused one with its code', async () => {
    const mutation = `mutation M($reference: String!) { addMessage(reference: $reference, body: "Note", visibleToCitizen: false) { reference } }`;
    await cast.system.call(mutation, { reference: cast.mine.reference }, cast.agentA);
    await cast.system.call(mutation, { reference: cast.mine.reference }, cast.agentB);
    const ok = await find((l) => l.action === 'addMessage' && l.outcome === 'ok');
    expect(ok).toMatchObject({ who: { kind: 'agent' }, references: [cast.mine.reference], fields: ['body', 'visibleToCitizen'] });
    expect(Date.parse(ok.at)).not.toBeNaN();
    const refused = await find((l) => l.action === 'addMessage' && l.outcome === 'FORBIDDEN');
    expect(refused.who.subject).not.toBe(ok.who.subject);
  });

  it('records a read of personal data, one line per burst of reads, naming the fields; public reads are not personal', async () => {
    await cast.system.call(`query Q($r: String!) { request(reference: $r) { reference subject description timeline { message } } }`, { r: cast.mine.reference }, cast.citizen);
    const read = await find((l) => l.action === 'read:personal' && l.who.kind === 'citizen');
    expect(read).toMatchObject({ references: [cast.mine.reference], fields: ['description', 'subject', 'timeline.message'], outcome: 'ok' });
    expect(lines().filter((l) => l.action === 'read:personal' && l.who.kind === 'citizen')).toHaveLength(1);
    const before = lines().length;
    await cast.system.call(`query Q($r: String!) { request(reference: $r) { reference status } }`, { r: cast.mine.reference }, cast.partner);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines().slice(before).filter((l) => l.action === 'read:personal')).toEqual([]);
  });

  it('records submitRequest with the reference it created', async () => {
    const { requestInput, submit } = await import('../requests/intake-harness.ts');
    const answer = await submit(cast.system, requestInput());
    await find((l) => l.action === 'submitRequest' && l.references[0] === answer.request.reference && l.who.kind === 'anonymous' && l.outcome === 'ok');
  });
});
