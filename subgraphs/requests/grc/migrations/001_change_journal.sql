-- Change capture for real-time tracking; the reasoning is in subgraphs/requests/capture/index.ts.
-- The old back office writes t_demande and t_evenement directly, so changes are captured where they
-- happen, in the database: AFTER triggers append the request's new state to passerelle_journal and
-- wake listeners with pg_notify. The legacy tables keep every column exactly as it was: a trigger
-- attaches to a table, it adds nothing to its rows. Idempotent, like every file of this folder.

CREATE TABLE IF NOT EXISTS passerelle_journal (
  id                  bigserial PRIMARY KEY,
  -- The writing transaction. The feed's order is (txid, id) and a reader only takes rows whose
  -- transaction is older than every transaction still running: ids alone can commit out of order.
  txid                xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- No foreign key to t_demande on purpose: it would forbid the back office to delete a request.
  id_demande          integer NOT NULL,
  num_demande         varchar(20) NOT NULL,
  id_service          integer NOT NULL,
  -- Codes, not only ids, so a service's queue is read without joining the legacy tables.
  code_service        varchar(20),
  -- Set when the change moved the request to another service: the old service's queue sees it leave.
  code_service_avant  varchar(20),
  -- INSERT or UPDATE of t_demande, or EVENT (a t_evenement row).
  kind                varchar(10) NOT NULL,
  -- The t_demande row right after the change, without the citizen's contact details (the API never
  -- shows them, so the journal does not keep copies of them).
  snapshot            jsonb NOT NULL,
  at                  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS ix_passerelle_journal_feed ON passerelle_journal (txid, id);
-- "Last entry of its transaction for this request": one transaction that updates a request and adds
-- its event (the usual back-office change) is delivered once, as its final state.
CREATE INDEX IF NOT EXISTS ix_passerelle_journal_group ON passerelle_journal (txid, id_demande, id);
CREATE INDEX IF NOT EXISTS ix_passerelle_journal_demande ON passerelle_journal (num_demande, txid, id);
CREATE INDEX IF NOT EXISTS ix_passerelle_journal_service ON passerelle_journal (code_service, txid, id);
CREATE INDEX IF NOT EXISTS ix_passerelle_journal_service_avant ON passerelle_journal (code_service_avant, txid, id)
  WHERE code_service_avant IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_passerelle_journal_at ON passerelle_journal (at);

-- Where the capture leader got to when publishing the journal to the bus ('published'), and the
-- newest entry pruned ('pruned'). Kept in the database, not in Redis: a leader taking over after a
-- Redis restart must still know where to resume.
CREATE TABLE IF NOT EXISTS passerelle_capture_position (
  feed   varchar(20) PRIMARY KEY,
  txid   xid8 NOT NULL,
  id     bigint NOT NULL,
  at     timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION passerelle_journal_demande() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO passerelle_journal (id_demande, num_demande, id_service, code_service, code_service_avant, kind, snapshot)
  VALUES (
    NEW.id_demande, NEW.num_demande, NEW.id_service,
    (SELECT s.code_service FROM t_service s WHERE s.id_service = NEW.id_service),
    CASE WHEN TG_OP = 'UPDATE' AND OLD.id_service IS DISTINCT FROM NEW.id_service
      THEN (SELECT s.code_service FROM t_service s WHERE s.id_service = OLD.id_service) END,
    TG_OP,
    to_jsonb(NEW) - 'contact_nom' - 'contact_email' - 'contact_tel'
  );
  -- Delivered at commit, once per transaction (identical payloads are folded): a wake-up, not data.
  PERFORM pg_notify('passerelle_journal', '');
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION passerelle_journal_evenement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO passerelle_journal (id_demande, num_demande, id_service, code_service, kind, snapshot)
  SELECT d.id_demande, d.num_demande, d.id_service,
    (SELECT s.code_service FROM t_service s WHERE s.id_service = d.id_service),
    'EVENT',
    to_jsonb(d) - 'contact_nom' - 'contact_email' - 'contact_tel'
  FROM t_demande d WHERE d.id_demande = NEW.id_demande;
  PERFORM pg_notify('passerelle_journal', '');
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS passerelle_tg_journal ON t_demande;
CREATE TRIGGER passerelle_tg_journal AFTER INSERT OR UPDATE ON t_demande
  FOR EACH ROW EXECUTE FUNCTION passerelle_journal_demande();

DROP TRIGGER IF EXISTS passerelle_tg_journal ON t_evenement;
CREATE TRIGGER passerelle_tg_journal AFTER INSERT ON t_evenement
  FOR EACH ROW EXECUTE FUNCTION passerelle_journal_evenement();
