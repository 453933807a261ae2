-- Each CRM's owners (its users who can be given leads) and how many open leads each holds: the
-- "capacity" lead flow rules read (pause a campaign when the sales team is full). Replaced as a
-- whole by each sync of the CRM connection.
CREATE TABLE crm_owners (
    connection_id TEXT    NOT NULL,
    owner_id      TEXT    NOT NULL,                -- the CRM's id for the owner
    name          TEXT,
    email         TEXT,
    open_leads    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,                -- unix ms of the sync that counted them
    PRIMARY KEY (connection_id, owner_id)
) WITHOUT ROWID;
