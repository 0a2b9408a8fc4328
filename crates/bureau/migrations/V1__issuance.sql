-- The bureau's system of record (crates/bureau/src/db.rs applies this through refinery).
-- No personal data is kept in clear outside `chip_files` and `chip_keys`, which are deleted as
-- soon as the card is verified; applications are found by number, documents by an HMAC key.

-- Stations and personalization lines, each with its P-256 public key (SubjectPublicKeyInfo DER).
CREATE TABLE principals (
    name          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('station', 'line')),
    public_key    BYTEA NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Request nonces seen inside the freshness window: a replayed request is refused.
CREATE TABLE request_nonces (
    principal TEXT NOT NULL REFERENCES principals (name),
    nonce     TEXT NOT NULL,
    seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, nonce)
);

-- Secrets the bureau derives keys from (the document-key HMAC secret).
CREATE TABLE bureau_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- One row per accepted application. `document_number` is needed to refuse a second document
-- under the same number (ICAO 9303-3 §4.2); `person_key` is an HMAC of the holder's identity.
CREATE TABLE applications (
    application     TEXT PRIMARY KEY,
    station         TEXT NOT NULL REFERENCES principals (name),
    package_sha256  TEXT NOT NULL,
    station_signature BYTEA NOT NULL,
    document_number TEXT NOT NULL,
    person_key      TEXT NOT NULL,
    replaces        TEXT,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'personalizing', 'issued', 'failed')),
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX applications_document_number ON applications (document_number);
CREATE INDEX applications_person_key ON applications (person_key);

-- The signed ChipImage's files and the chip keys, until the card is verified.
CREATE TABLE chip_files (
    application TEXT NOT NULL REFERENCES applications (application),
    ef          TEXT NOT NULL,
    content     BYTEA NOT NULL,
    PRIMARY KEY (application, ef)
);
CREATE TABLE chip_keys (
    application TEXT PRIMARY KEY REFERENCES applications (application),
    keys_json   BYTEA NOT NULL
);

-- Personalization jobs. A claimed job belongs to `line` until `lease_until`; `attempts` is the
-- fencing token of the current claim.
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    application  TEXT NOT NULL UNIQUE REFERENCES applications (application),
    document_key TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
    line         TEXT REFERENCES principals (name),
    lease_until  TIMESTAMPTZ,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    queued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX jobs_claimable ON jobs (id) WHERE state IN ('queued', 'claimed');

-- The personalization journal of permitkit-chip (`Journal` trait), shared by every line.
CREATE TABLE perso_journal (
    document_key TEXT PRIMARY KEY,
    entry        JSONB NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every card a line touched: issued, or spoilt (to be destroyed). One issued card per
-- application, enforced by the database.
CREATE TABLE cards (
    serial         TEXT PRIMARY KEY,
    application    TEXT NOT NULL REFERENCES applications (application),
    line           TEXT NOT NULL REFERENCES principals (name),
    outcome        TEXT NOT NULL CHECK (outcome IN ('issued', 'spoilt')),
    reason         TEXT,
    line_signature BYTEA NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cards_one_issued_per_application ON cards (application)
    WHERE outcome = 'issued';
