-- Connections to the providers (Meta, Google Ads, HubSpot, Pipedrive, Salesforce). Only what is
-- not secret lives here; tokens, refresh tokens and client secrets are in the OS keychain, one
-- entry per connection (account `connection:<id>`).
CREATE TABLE connections (
    id           TEXT    PRIMARY KEY,                 -- ULID
    provider     TEXT    NOT NULL
                 CHECK (provider IN ('meta', 'google-ads', 'hubspot', 'pipedrive', 'salesforce')),
    label        TEXT    NOT NULL,
    auth         TEXT    NOT NULL CHECK (auth IN ('oauth', 'token')),
    account_id   TEXT,                                -- the provider's id for the signed-in account
    account_name TEXT,
    scopes       TEXT    NOT NULL DEFAULT '[]',       -- JSON array
    base_url     TEXT,                                -- every address of the provider replaced by this one (a local server)
    api_base     TEXT,                                -- where its API answers when the sign-in says so (Salesforce, Pipedrive)
    status       TEXT    NOT NULL DEFAULT 'connected'
                 CHECK (status IN ('connected', 'needs_sign_in', 'error')),
    created_at   INTEGER NOT NULL,
    last_sync_at INTEGER,
    last_error   TEXT
) WITHOUT ROWID;

-- Which connection a synced lead came from, so disconnecting with --purge can forget it.
ALTER TABLE leads ADD COLUMN connection_id TEXT;
CREATE INDEX leads_by_connection ON leads (connection_id) WHERE connection_id IS NOT NULL;
