-- Passerelle's own tables for the intake (submitRequest). The GRC's legacy tables (t_*) are the old
-- back office's contract and are left exactly as they are: Passerelle only adds tables, prefixed
-- `passerelle_`, that the back office never reads. Idempotent, like every file of this folder.

-- One row per idempotency key: the first submit claims the key (INSERT … ON CONFLICT DO NOTHING
-- inside its transaction), concurrent and later submits with the same key find it and replay.
CREATE TABLE IF NOT EXISTS passerelle_idempotency_key (
  idempotency_key  varchar(100) PRIMARY KEY,
  -- sha256 of the normalised input: the same key with another input is refused, not replayed.
  fingerprint      char(64) NOT NULL,
  -- The request and routing columns are filled by the transaction that claimed the key, before it
  -- commits: other sessions never see them empty (the claim is invisible until then).
  id_demande       integer REFERENCES t_demande (id_demande),
  -- How the request was routed, as answered the first time (the request may move later).
  routing_rule     varchar(10) CHECK (routing_rule IN ('LYCEE', 'CATEGORY', 'KEYWORD', 'TERRITORY')),
  routing_matched  varchar(200),
  id_service       integer REFERENCES t_service (id_service),
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Last reference number given per year (IDF-<year>-<number>). The row lock of the upsert
-- serialises Passerelle's writers; each also looks at t_demande's highest number of the year, so
-- numbers the back office gives itself are never reused.
CREATE TABLE IF NOT EXISTS passerelle_reference_counter (
  year         integer PRIMARY KEY,
  last_number  integer NOT NULL CHECK (last_number BETWEEN 1 AND 999999)
);
