-- Leads and what the owner does with them: tags, notes, a timeline of events.
-- Times are Unix milliseconds (UTC). `seq` is the rowid: the FTS index and keyset pages use it.

CREATE TABLE leads (
    seq           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,            -- ULID shown to users
    source        TEXT    NOT NULL,                   -- where it came from: "meta", "import", a connection label
    external_id   TEXT    NOT NULL,                   -- the source's id, or a content hash for id-less files
    created_at    INTEGER NOT NULL,                   -- when the lead was submitted at the source
    added_at      INTEGER NOT NULL,                   -- when it entered this vault
    updated_at    INTEGER NOT NULL,
    full_name     TEXT,
    email         TEXT,                               -- normalised: trimmed, lower-case
    phone         TEXT,                               -- as given, without Meta's "p:" prefix
    phone_digits  TEXT,                               -- digits only, for search and the fingerprint
    company       TEXT,
    status        TEXT    NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'contacted', 'qualified', 'won', 'lost', 'spam')),
    owner         TEXT,
    score         INTEGER,
    score_reasons TEXT,                               -- JSON array
    ad_id         TEXT,
    ad_name       TEXT,
    adset_id      TEXT,
    adset_name    TEXT,
    campaign_id   TEXT,
    campaign_name TEXT,
    form_id       TEXT,
    form_name     TEXT,
    platform      TEXT,
    is_organic    INTEGER,
    fields        TEXT    NOT NULL DEFAULT '{}',      -- form answers and custom columns, JSON object
    notes_text    TEXT    NOT NULL DEFAULT '',        -- all notes joined, for search only
    fingerprint   BLOB,                               -- SHA-256 of normalised email + phone digits
    UNIQUE (source, external_id)
);

CREATE INDEX leads_by_created ON leads (created_at, seq);
CREATE INDEX leads_by_status ON leads (status, created_at, seq);
CREATE INDEX leads_by_source ON leads (source, created_at, seq);
CREATE INDEX leads_by_owner ON leads (owner, created_at, seq) WHERE owner IS NOT NULL;
CREATE INDEX leads_by_score ON leads (score, seq);

CREATE TABLE lead_tags (
    lead_seq INTEGER NOT NULL REFERENCES leads (seq) ON DELETE CASCADE,
    tag      TEXT    NOT NULL,
    PRIMARY KEY (lead_seq, tag)
) WITHOUT ROWID;
CREATE INDEX lead_tags_by_tag ON lead_tags (tag, lead_seq);

CREATE TABLE lead_notes (
    id         INTEGER PRIMARY KEY,
    lead_seq   INTEGER NOT NULL REFERENCES leads (seq) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    body       TEXT    NOT NULL
);
CREATE INDEX lead_notes_by_lead ON lead_notes (lead_seq, id);

CREATE TABLE lead_events (
    id       INTEGER PRIMARY KEY,
    lead_seq INTEGER NOT NULL REFERENCES leads (seq) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    kind     TEXT    NOT NULL,                        -- created, imported, status, owner, tag_added, tag_removed, note
    detail   TEXT    NOT NULL DEFAULT '{}'            -- JSON
);
CREATE INDEX lead_events_by_lead ON lead_events (lead_seq, id);

-- Full-text search over the contact fields and notes. Contentless (the text already lives in
-- `leads`, encrypted like everything else) with deletes by rowid. New leads are indexed by the
-- store in one INSERT ... SELECT per import or sync page (FTS5 flushes its buffer at every
-- statement, so a row-by-row trigger would cost a flush per batch); changes and deletes are
-- kept in step by triggers.
CREATE VIRTUAL TABLE leads_fts USING fts5 (
    full_name, email, phone, company, notes,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    -- Results while typing: "ma" or "mar" read one list instead of merging every term they begin.
    prefix = '2 3'
);
-- Buffer 16 MiB of new terms before writing a segment (the default is 1 MiB): a big import then
-- writes a few large segments instead of many small ones that must be merged again.
INSERT INTO leads_fts (leads_fts, rank) VALUES ('hashsize', 16777216);

-- What the index holds for each lead. The phone is indexed as given, as bare digits, and by its
-- last 10, 7 and 4 digits, so "555 010", "5550109999" (no country code) and "9999" all find
-- +1 555 010 9999.
CREATE VIEW lead_search_docs (seq, full_name, email, phone, company, notes) AS
    SELECT seq, full_name, email,
           coalesce(phone, '') || ' ' || coalesce(phone_digits, '') || ' ' ||
           coalesce(substr(phone_digits, -10) || ' ' || substr(phone_digits, -7) || ' ' ||
                    substr(phone_digits, -4), ''),
           company, notes_text
    FROM leads;

CREATE TRIGGER leads_fts_update AFTER UPDATE OF full_name, email, phone, phone_digits, company, notes_text ON leads BEGIN
    DELETE FROM leads_fts WHERE rowid = old.seq;
    INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes)
    SELECT * FROM lead_search_docs WHERE seq = new.seq;
END;

CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
    DELETE FROM leads_fts WHERE rowid = old.seq;
END;
