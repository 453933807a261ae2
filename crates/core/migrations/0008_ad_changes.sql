-- Every change Leadvault made, tried or checked on an ad account: pausing or enabling a
-- campaign, setting a CPC bid, replacing a campaign's ad schedule. A dry run (the provider
-- validated the change and kept nothing) is recorded too, marked as such. `before` is what the
-- provider reported just before, `after` what was set (or would have been). Nothing here is
-- personal data: ids, statuses, bids and times of day. `disconnect --purge` deletes a
-- connection's rows; a plain disconnect keeps them as history.
CREATE TABLE ad_changes (
    id            TEXT    PRIMARY KEY,             -- ULID
    connection_id TEXT    NOT NULL,
    provider      TEXT    NOT NULL,                -- meta, google-ads (kept: the connection may be gone)
    target_kind   TEXT    NOT NULL CHECK (target_kind IN ('campaign', 'ad_group', 'keyword', 'schedule')),
    target_id     TEXT    NOT NULL,                -- the provider's id; a keyword `adGroupId~criterionId`,
                                                   -- a schedule its campaign's id
    action        TEXT    NOT NULL CHECK (action IN ('pause', 'enable', 'bid', 'schedule')),
    before        TEXT,                            -- JSON; NULL when it could not be read
    after         TEXT,                            -- JSON
    dry_run       INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    outcome       TEXT    NOT NULL CHECK (outcome IN ('applied', 'validated', 'failed')),
    reason        TEXT,                            -- why it failed: one line, no secret
    at            INTEGER NOT NULL,                -- unix ms
    -- A dry run is validated or failed, never applied; a real change never merely validated.
    CHECK (CASE outcome WHEN 'applied' THEN dry_run = 0 WHEN 'validated' THEN dry_run = 1 ELSE 1 END),
    CHECK ((outcome = 'failed') = (reason IS NOT NULL))
);                                                 -- a rowid table: rowid is the order of recording

CREATE INDEX ad_changes_by_connection ON ad_changes (connection_id, at);
