-- One key for "newest first" that the list indexes and the search index share, so a search's
-- first page reads the newest matches straight from the FTS index instead of collecting every
-- match and sorting them.
--
-- sort_key = (created second) * 2^31 + seq: unique (seq is), ordered by creation time to the
-- second, then by arrival. Times are clamped to 1970..2100 so the product stays an integer.
-- store::leads::key_floor computes the same bound in Rust.
ALTER TABLE leads ADD COLUMN sort_key INTEGER
    GENERATED ALWAYS AS ((min(max(created_at, 0), 4102444800000) / 1000) * 2147483648 + seq) VIRTUAL;

DROP INDEX leads_by_created;
DROP INDEX leads_by_status;
DROP INDEX leads_by_source;
DROP INDEX leads_by_owner;
CREATE UNIQUE INDEX leads_by_key ON leads (sort_key);
CREATE INDEX leads_by_status ON leads (status, sort_key);
CREATE INDEX leads_by_source ON leads (source, sort_key);
CREATE INDEX leads_by_owner ON leads (owner, sort_key) WHERE owner IS NOT NULL;

-- The search index's rowid becomes the sort key: `ORDER BY rowid DESC LIMIT n` over a MATCH
-- stops after n rows. Rebuilt here from the leads.
DROP TRIGGER leads_fts_update;
DROP TRIGGER leads_fts_delete;
DROP VIEW lead_search_docs;
DROP TABLE leads_fts;

CREATE VIRTUAL TABLE leads_fts USING fts5 (
    full_name, email, phone, company, notes,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO leads_fts (leads_fts, rank) VALUES ('hashsize', 16777216);

-- What the index holds for each lead (see 0001 for the phone's extra forms). FTS5 writes its
-- buffer out whenever a rowid is not above the last one, so insert in sort_key order.
CREATE VIEW lead_search_docs (seq, sort_key, full_name, email, phone, company, notes) AS
    SELECT seq, sort_key, full_name, email,
           coalesce(phone, '') || ' ' || coalesce(phone_digits, '') || ' ' ||
           coalesce(substr(phone_digits, -10) || ' ' || substr(phone_digits, -7) || ' ' ||
                    substr(phone_digits, -4), ''),
           company, notes_text
    FROM leads;

INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes)
    SELECT sort_key, full_name, email, phone, company, notes FROM lead_search_docs ORDER BY sort_key;

CREATE TRIGGER leads_fts_update
AFTER UPDATE OF full_name, email, phone, phone_digits, company, notes_text, created_at ON leads BEGIN
    DELETE FROM leads_fts WHERE rowid = old.sort_key;
    INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes)
    SELECT sort_key, full_name, email, phone, company, notes FROM lead_search_docs WHERE seq = new.seq;
END;

CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
    DELETE FROM leads_fts WHERE rowid = old.sort_key;
END;

-- The names of the form answers and custom columns, with how many leads carry each: the
-- extra columns of a whole-vault export, without reading every lead's answers first.
-- New leads are counted by the store as it inserts them; changes and deletes by triggers.
CREATE TABLE lead_field_names (
    name  TEXT    PRIMARY KEY,
    leads INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO lead_field_names (name, leads)
    SELECT j.key, count(*) FROM leads, json_each(leads.fields) j GROUP BY j.key;

CREATE TRIGGER lead_field_names_delete AFTER DELETE ON leads WHEN old.fields <> '{}' BEGIN
    UPDATE lead_field_names SET leads = leads - 1 WHERE name IN (SELECT key FROM json_each(old.fields));
END;

CREATE TRIGGER lead_field_names_update AFTER UPDATE OF fields ON leads BEGIN
    UPDATE lead_field_names SET leads = leads - 1 WHERE name IN (SELECT key FROM json_each(old.fields));
    INSERT INTO lead_field_names (name, leads) SELECT key, 1 FROM json_each(new.fields) WHERE true
        ON CONFLICT (name) DO UPDATE SET leads = leads + 1;
END;
