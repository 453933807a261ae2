-- Pushes to the connected CRMs (HubSpot, Pipedrive, Salesforce) go through an outbox: a lead
-- to push is queued in the same transaction as the change that calls for it, so nothing is
-- queued for a change that did not happen and no change is left unqueued, whatever stops when.
--
-- What is queued: every lead a sync brings in (it has a `connection_id`), for every CRM
-- connection; later changes of status or owner of a lead that came from a sync or was already
-- pushed. Leads imported from files stay local. A CRM connected later is given the synced leads
-- it missed (see `Connections::add`).
--
-- An item names the lead, not a copy of it: the pusher sends the lead as it stands when pushed,
-- so ten edits while offline make one push. `version` grows with each change queued while the
-- item waits; the pusher only clears the item if the version it read is still the one there.
CREATE TABLE outbox (
    connection_id   TEXT    NOT NULL,                -- the CRM connection it goes to
    lead_seq        INTEGER NOT NULL REFERENCES leads (seq) ON DELETE CASCADE,
    idempotency_key TEXT    NOT NULL,                -- one per queued push, kept through its retries
    version         INTEGER NOT NULL DEFAULT 1,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,                -- unix ms: not before (backoff, rate limits)
    last_error      TEXT,                            -- no personal data: codes and reasons only
    queued_at       INTEGER NOT NULL,
    PRIMARY KEY (connection_id, lead_seq)
) WITHOUT ROWID;
CREATE INDEX outbox_due ON outbox (connection_id, state, next_at);

-- Every attempt, whatever came of it.
CREATE TABLE push_attempts (
    id              INTEGER PRIMARY KEY,
    connection_id   TEXT    NOT NULL,
    lead_seq        INTEGER NOT NULL REFERENCES leads (seq) ON DELETE CASCADE,
    idempotency_key TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('created', 'updated', 'skipped', 'retry', 'failed')),
    remote_id       TEXT,
    detail          TEXT
);
CREATE INDEX push_attempts_by_connection ON push_attempts (connection_id, id);
CREATE INDEX push_attempts_by_lead ON push_attempts (lead_seq);

-- Which remote record a lead became in each CRM, so a lead is never created twice there.
CREATE TABLE crm_links (
    connection_id  TEXT    NOT NULL,
    lead_seq       INTEGER NOT NULL REFERENCES leads (seq) ON DELETE CASCADE,
    remote_id      TEXT    NOT NULL,                 -- HubSpot contact, Pipedrive person, Salesforce Lead
    remote_lead_id TEXT,                             -- Pipedrive: the lead made for that person
    pushed_at      INTEGER NOT NULL,
    PRIMARY KEY (connection_id, lead_seq)
) WITHOUT ROWID;

CREATE TRIGGER leads_push_new AFTER INSERT ON leads WHEN NEW.connection_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO outbox (connection_id, lead_seq, idempotency_key, next_at, queued_at)
    SELECT id, NEW.seq, lower(hex(randomblob(16))), NEW.added_at, NEW.added_at
    FROM connections WHERE provider IN ('hubspot', 'pipedrive', 'salesforce');
END;

CREATE TRIGGER leads_push_change AFTER UPDATE OF status, owner ON leads
WHEN NEW.status IS NOT OLD.status OR NEW.owner IS NOT OLD.owner
BEGIN
    -- Due at once (next_at 0): a new change deserves a fresh try, whatever the backoff was.
    INSERT INTO outbox (connection_id, lead_seq, idempotency_key, next_at, queued_at)
    SELECT c.id, NEW.seq, lower(hex(randomblob(16))), 0, NEW.updated_at
    FROM connections c
    WHERE c.provider IN ('hubspot', 'pipedrive', 'salesforce')
      AND (NEW.connection_id IS NOT NULL
           OR EXISTS (SELECT 1 FROM crm_links l WHERE l.connection_id = c.id AND l.lead_seq = NEW.seq))
    ON CONFLICT (connection_id, lead_seq) DO UPDATE SET
        version = version + 1, state = 'pending', attempts = 0, next_at = excluded.next_at, last_error = NULL;
END;
