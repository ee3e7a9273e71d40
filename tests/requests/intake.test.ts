/**
 * One intake for every request (`submitRequest`), on both storages of the GRC stand-in: input
 * checks naming fields, existence asked to the geodata and Lycées systems, routing by lycée,
 * category, keywords and territory, the request written as the old system writes one, references,
 * tracking tokens and idempotency under concurrency.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { implementations, startTestSubgraph } from './harness.ts';
import { KEY, SUBMIT, requestInput, startIntakeSystem, submit, type IntakeSystem, type SubmitAnswer } from './intake-harness.ts';

interface Etablissement {
  uai: string;
  code_commune: string;
  secteur: string;
}

describe.each(implementations)('submitRequest on $name', (implementation) => {
  let system: IntakeSystem;
  let lycee: Etablissement;
  let otherCommune: string;

  const errorsOf = async (input: Record<string, unknown>, key: string = randomUUID()) => {
    const response = await system.call(SUBMIT, { input, key });
    expect(response.data).toBeNull();
    return response.errors!;
  };

  beforeAll(async () => {
    system = await startIntakeSystem(implementation);
    const list = (await (await fetch(`${system.lyceesApiUrl}/api/v1/etablissements?secteur=PU&per_page=5`)).json()) as { data: Etablissement[] };
    lycee = list.data[0]!;
    otherCommune = lycee.code_commune === '93066' ? '93001' : '93066';
  });
  afterAll(async () => {
    await system?.close();
  });

  describe('Validation', () => {
    it('refuses lengths and formats, naming every field path', async () => {
      const [error] = await errorsOf(
        requestInput({ subject: 'Hey', description: 'court', commune: '9306', contact: { name: 'A', email: 'pas-un-mail', phone: '12345' } }),
      );
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.subject' });
      const fields = (error!.extensions!.fields as { argument: string }[]).map((f) => f.argument);
      expect(fields).toEqual(['input.subject', 'input.description', 'input.commune', 'input.contact.email', 'input.contact.phone']);
      expect(error!.message).toContain('input.contact.email');
    });

    it('accepts French phone numbers in national and international form', async () => {
      const answer = await submit(system, requestInput({ contact: { name: 'Léa Petit', email: 'lea@courriel.example', phone: '+33 6 11 22 33 44' } }));
      const [row] = await system.grc.sql<{ contact_tel: string }>('SELECT contact_tel FROM t_demande WHERE num_demande = $1', [answer.request.reference]);
      expect(row!.contact_tel).toBe('0611223344');
    });

    it('refuses a malformed idempotency key', async () => {
      const [error] = await errorsOf(requestInput(), 'short');
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'idempotencyKey' });
    });

    it('refuses a commune the geodata system does not know, saying it does not exist', async () => {
      const [error] = await errorsOf(requestInput({ commune: '99999' }));
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.commune' });
      expect(error!.message).toMatch(/does not exist/);
    });

    it('refuses a UAI the Lycées system does not know, saying it does not exist', async () => {
      const [error] = await errorsOf(requestInput({ lycee: '0000001A' }));
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.lycee' });
      expect(error!.message).toMatch(/does not exist/);
    });

    it('refuses a lycée outside the commune given, naming its commune', async () => {
      const [error] = await errorsOf(requestInput({ lycee: lycee.uai, commune: otherCommune }));
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.lycee' });
      expect(error!.message).toContain(lycee.code_commune);
    });

    it('refuses an unknown category', async () => {
      const [error] = await errorsOf(requestInput({ category: 'XXX-YYY' }));
      expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.category' });
    });
  });

  describe('Routing', () => {
    it('LYCEE: a request about a lycée goes to the lycée service, whatever its category', async () => {
      const answer = await submit(system, requestInput({ lycee: lycee.uai, commune: lycee.code_commune, category: null }));
      expect(answer.routing).toMatchObject({ service: { code: 'LYCEES' }, rule: 'LYCEE', matched: lycee.uai });
      expect(answer.request).toMatchObject({ service: { code: 'LYCEES' }, category: { code: 'LYC-BAT' }, lycee: { uai: lycee.uai } });
      const withCategory = await submit(system, requestInput({ lycee: lycee.uai, commune: lycee.code_commune, category: 'TRA-SCO' }));
      expect(withCategory.routing.rule).toBe('LYCEE');
      expect(withCategory.request.category.code).toBe('TRA-SCO');
    });

    it("CATEGORY: a category goes to its service, or to the département's territorial service when it has none", async () => {
      const transport = await submit(system, requestInput({ category: 'TRA-ABO' }));
      expect(transport.routing).toMatchObject({ service: { code: 'TRANSPORTS' }, rule: 'CATEGORY', matched: 'TRA-ABO' });
      const general = await submit(system, requestInput({ category: 'GEN-INF', commune: '77288' }));
      expect(general.routing).toMatchObject({ service: { code: 'TER-77' }, rule: 'CATEGORY', matched: 'GEN-INF' });
    });

    it('KEYWORD: words match whatever their accents and case, and the answer names them', async () => {
      for (const subject of ['Piste pour VÉLO interrompue', 'piste pour velo interrompue', 'Vélos en libre-service']) {
        const answer = await submit(system, requestInput({ category: null, subject }));
        expect(answer.routing).toMatchObject({ service: { code: 'TRANSPORTS' }, rule: 'KEYWORD', matched: 'vélo*' });
        expect(answer.request.category.code).toBe('TRA-LIG');
      }
      const energy = await submit(system, requestInput({ category: null, subject: 'Ma CHAUDIERE est en panne', description: "Aide pour l'isolation de mon logement ?" }));
      expect(energy.routing).toMatchObject({ service: { code: 'ENVIRONNEMENT' }, rule: 'KEYWORD' });
      expect(energy.routing.matched).toBe('chaudière*, isolation');
    });

    it('KEYWORD: the best score wins when several rules match, words of the subject counting double', async () => {
      // TRANSPORTS comes first in the rules and matches "bus", but SPORT scores 2 (subject) + 1.
      const answer = await submit(system, requestInput({ category: null, subject: 'Horaires de la piscine', description: 'Le bus ne dessert plus la piscine ni le stade le dimanche.' }));
      expect(answer.routing).toMatchObject({ service: { code: 'SPORT' }, rule: 'KEYWORD', matched: 'piscine*, stade*' });
    });

    it('refuses to start with rules naming a service the GRC does not have', async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.json');
      writeFileSync(path, JSON.stringify({ lycee: { category: 'LYC-BAT' }, categories: { 'TRA-ABO': 'TELEPORTATION' }, keywords: [], territory: { category: 'GEN-INF' } }));
      await expect(startTestSubgraph(system.grc.urls.postgres!, { ROUTING_RULES_PATH: path })).rejects.toThrow(/\$\.categories\.TRA-ABO: no active GRC service "TELEPORTATION"/);
    });

    it("TERRITORY: a request no rule places goes to the territorial service of the commune's département", async () => {
      const answer = await submit(system, requestInput({ category: null, commune: '93066', subject: 'Question diverse', description: 'Je souhaite obtenir un renseignement.' }));
      expect(answer.routing).toMatchObject({ service: { code: 'TER-93' }, rule: 'TERRITORY', matched: '93' });
      expect(answer.request.category.code).toBe('GEN-INF');
    });
  });

  describe('Writing to the GRC', () => {
    it('writes a NOU request and its CRE event as the old system does', async () => {
      const answer = await submit(system, requestInput({ channel: 'PHONE' }));
      expect(answer.request.status).toBe('NEW');
      const [row] = await system.grc.sql<Record<string, unknown>>(
        `SELECT d.code_statut, d.canal, d.date_maj = d.date_creation AS fresh, d.date_cloture, e.type_evenement, e.code_statut_apres, e.auteur, e.visible_usager
         FROM t_demande d JOIN t_evenement e USING (id_demande) WHERE d.num_demande = $1`,
        [answer.request.reference],
      );
      expect(row).toEqual({ code_statut: 'NOU', canal: 'TEL', fresh: true, date_cloture: null, type_evenement: 'CRE', code_statut_apres: 'NOU', auteur: 'SYSTEME', visible_usager: true });
    });

    it('numbers references IDF-<year>-<6 digits>, after the highest of the year, unique under concurrency', async () => {
      const year = new Date().getUTCFullYear();
      const highest = async () =>
        (await system.grc.sql<{ n: number }>(`SELECT max(substr(num_demande, 10)::int)::int AS n FROM t_demande WHERE num_demande LIKE $1`, [`IDF-${year}-%`]))[0]!.n ?? 0;
      const before = await highest();
      const first = await submit(system);
      expect(first.request.reference).toBe(`IDF-${year}-${String(before + 1).padStart(6, '0')}`);

      const answers = await Promise.all(Array.from({ length: 10 }, () => submit(system)));
      const numbers = answers.map((a) => Number(a.request.reference.slice(9))).sort((a, b) => a - b);
      expect(new Set(numbers).size).toBe(10);
      expect(numbers[0]).toBe(before + 2);
      expect(numbers[9]).toBe(before + 11);
    });

    it('continues after a reference the back office gave itself', async () => {
      const year = new Date().getUTCFullYear();
      const [{ n }] = (await system.grc.sql<{ n: number }>(`SELECT max(substr(num_demande, 10)::int)::int AS n FROM t_demande WHERE num_demande LIKE $1`, [`IDF-${year}-%`])) as [{ n: number }];
      const manual = `IDF-${year}-${String(n + 5).padStart(6, '0')}`;
      await system.grc.sql(
        `INSERT INTO t_demande (num_demande, objet, description, code_statut, id_service, id_categorie, code_insee, canal, date_creation, date_maj)
         VALUES ($1, 'Saisie au guichet', 'Saisie directe dans le back office.', 'NOU', 1, 1, '75056', 'GUICHET', now(), now())`,
        [manual],
      );
      const answer = await submit(system);
      expect(answer.request.reference).toBe(`IDF-${year}-${String(n + 6).padStart(6, '0')}`);
    });

    it('returns a tracking token (HS256, AUTH_SECRET) that carries the track scope of the reference', async () => {
      const answer = await submit(system);
      const { payload, protectedHeader } = await jwtVerify(answer.trackingToken, KEY, { algorithms: ['HS256'] });
      const reference = answer.request.reference;
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload).toMatchObject({ sub: `citizen:${reference}`, scope: `track:${reference}`, kind: 'citizen' });
      expect(payload.exp! - payload.iat!).toBe(31_536_000);
      expect(new Date(answer.trackingTokenExpiresAt).getTime()).toBe(payload.exp! * 1000);
    });
  });

  describe('Idempotency', () => {
    it('20 concurrent submits with one key create exactly one request and get 20 identical answers', async () => {
      const key = randomUUID();
      const input = requestInput();
      const responses = await Promise.all(Array.from({ length: 20 }, () => system.call<{ submitRequest: SubmitAnswer }>(SUBMIT, { input, key })));
      for (const response of responses) expect(response.errors).toBeUndefined();
      const answers = responses.map((r) => r.data!.submitRequest);
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      const [{ n }] = (await system.grc.sql<{ n: number }>('SELECT count(*)::int AS n FROM t_demande WHERE objet = $1', [input.subject])) as [{ n: number }];
      expect(n).toBe(1);
      await jwtVerify(answers[0]!.trackingToken, KEY);
    });

    it('a later replay returns the same payload, even after the request moved', async () => {
      const key = randomUUID();
      const input = requestInput();
      const first = await submit(system, input, key);
      await system.grc.sql(`UPDATE t_demande SET code_statut = 'QUA' WHERE num_demande = $1`, [first.request.reference]);
      const again = await submit(system, input, key);
      expect(again.request.reference).toBe(first.request.reference);
      expect(again.trackingToken).toBe(first.trackingToken);
      expect(again.routing).toEqual(first.routing);
      expect(again.request.status).toBe('QUALIFIED');
    });

    it('the same key with another input is IDEMPOTENCY_KEY_REUSED', async () => {
      const key = randomUUID();
      await submit(system, requestInput(), key);
      const [error] = await errorsOf(requestInput(), key);
      expect(error!.extensions).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    });
  });
});
