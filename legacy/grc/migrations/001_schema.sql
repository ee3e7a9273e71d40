-- GRC (gestion de la relation citoyen), schéma v1.
-- Names follow the DSI's historical conventions (t_ tables, French columns, 3-letter codes):
-- the back office agents use every day writes these tables directly, so they are the contract.
-- Applied once by legacy/grc/setup.ts inside a transaction; `t_meta.schema_version` records it.

CREATE TABLE t_statut (
  code_statut   char(3) PRIMARY KEY,
  libelle       varchar(60) NOT NULL,
  -- Open statuses count in "open" statistics; final ones end processing (date_cloture is set).
  est_ouvert    boolean NOT NULL,
  ordre         smallint NOT NULL
);

INSERT INTO t_statut (code_statut, libelle, est_ouvert, ordre) VALUES
  ('NOU', 'Nouvelle', true, 1),
  ('QUA', 'Qualifiée', true, 2),
  ('ENC', 'En cours de traitement', true, 3),
  ('ATT', 'En attente de l''usager', true, 4),
  ('RES', 'Résolue', false, 5),
  ('CLO', 'Clôturée', false, 6),
  ('REJ', 'Rejetée / classée sans suite', false, 7);

CREATE TABLE t_service (
  id_service        serial PRIMARY KEY,
  code_service      varchar(20) NOT NULL UNIQUE,
  libelle           varchar(120) NOT NULL,
  -- THE thématique, TER territorial (one per département), LYC pôle lycées.
  type_service      char(3) NOT NULL CHECK (type_service IN ('THE', 'TER', 'LYC')),
  code_departement  varchar(3),
  email_service     varchar(120),
  actif             boolean NOT NULL DEFAULT true,
  CHECK ((type_service = 'TER') = (code_departement IS NOT NULL))
);

CREATE TABLE t_categorie (
  id_categorie       serial PRIMARY KEY,
  code_categorie     varchar(20) NOT NULL UNIQUE,
  libelle            varchar(120) NOT NULL,
  -- NULL: routed to the territorial service of the commune's département.
  id_service_defaut  integer REFERENCES t_service (id_service),
  delai_cible_jours  smallint NOT NULL,
  actif              boolean NOT NULL DEFAULT true
);

CREATE TABLE t_agent (
  id_agent    serial PRIMARY KEY,
  matricule   varchar(10) NOT NULL UNIQUE,
  nom         varchar(80) NOT NULL,
  prenom      varchar(80) NOT NULL,
  email       varchar(120) NOT NULL,
  id_service  integer NOT NULL REFERENCES t_service (id_service),
  actif       boolean NOT NULL DEFAULT true
);
CREATE INDEX ix_agent_service ON t_agent (id_service);

CREATE TABLE t_demande (
  id_demande     serial PRIMARY KEY,
  num_demande    varchar(20) NOT NULL UNIQUE,
  objet          varchar(200) NOT NULL,
  description    text NOT NULL,
  code_statut    char(3) NOT NULL REFERENCES t_statut (code_statut),
  id_service     integer NOT NULL REFERENCES t_service (id_service),
  id_categorie   integer NOT NULL REFERENCES t_categorie (id_categorie),
  code_insee     varchar(5) NOT NULL,
  code_uai       varchar(8),
  canal          varchar(10) NOT NULL CHECK (canal IN ('WEB', 'MAIL', 'TEL', 'COURRIER', 'GUICHET')),
  contact_nom    varchar(120),
  contact_email  varchar(120),
  contact_tel    varchar(20),
  id_agent       integer REFERENCES t_agent (id_agent),
  date_creation  timestamptz NOT NULL,
  -- Touched on every change, including the back office's direct writes (trigger below):
  -- pollers use it to see changes that did not go through the API.
  date_maj       timestamptz NOT NULL,
  -- End of processing: set when the request becomes RES or REJ, kept when RES becomes CLO.
  date_cloture   timestamptz
);
CREATE INDEX ix_demande_commune ON t_demande (code_insee, code_statut);
CREATE INDEX ix_demande_departement ON t_demande ((left(code_insee, 2)));
CREATE INDEX ix_demande_uai ON t_demande (code_uai, date_creation DESC, id_demande DESC) WHERE code_uai IS NOT NULL;
CREATE INDEX ix_demande_service ON t_demande (id_service, code_statut);
CREATE INDEX ix_demande_statut ON t_demande (code_statut);
CREATE INDEX ix_demande_creation ON t_demande (date_creation DESC, id_demande DESC);
CREATE INDEX ix_demande_maj ON t_demande (date_maj);
CREATE INDEX ix_demande_agent ON t_demande (id_agent) WHERE id_agent IS NOT NULL;

CREATE TABLE t_evenement (
  id_evenement       bigserial PRIMARY KEY,
  id_demande         integer NOT NULL REFERENCES t_demande (id_demande),
  date_evenement     timestamptz NOT NULL,
  -- CRE création, STA changement de statut, AFF affectation (agent and/or service), MSG message.
  type_evenement     char(3) NOT NULL CHECK (type_evenement IN ('CRE', 'STA', 'AFF', 'MSG')),
  code_statut_avant  char(3) REFERENCES t_statut (code_statut),
  code_statut_apres  char(3) REFERENCES t_statut (code_statut),
  commentaire        text,
  -- false: internal note or assignment, never shown to the citizen.
  visible_usager     boolean NOT NULL,
  -- 'USAGER', 'SYSTEME' or an agent's matricule.
  auteur             varchar(20) NOT NULL,
  -- AFF: the agent and/or service the request was assigned to.
  id_agent           integer REFERENCES t_agent (id_agent),
  id_service         integer REFERENCES t_service (id_service)
);
CREATE INDEX ix_evenement_demande ON t_evenement (id_demande, date_evenement, id_evenement);

-- The back office updates t_demande without always touching date_maj; keep it honest.
CREATE FUNCTION f_demande_date_maj() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.date_maj IS NOT DISTINCT FROM OLD.date_maj THEN
    NEW.date_maj := now();
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER tg_demande_date_maj BEFORE UPDATE ON t_demande
  FOR EACH ROW EXECUTE FUNCTION f_demande_date_maj();
