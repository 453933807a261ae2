-- Ads data synced from Meta and Google Ads, per connection: the campaigns and their daily
-- metrics that lead flow rules read, and the ad groups, keywords and ad schedules that the ads
-- controls change. Ids are the provider's. Every row names its connection, so
-- `disconnect --purge` forgets all of it; a plain disconnect keeps it as history.
CREATE TABLE ad_campaigns (
    connection_id TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    status        TEXT    NOT NULL,                -- the provider's word: ENABLED, PAUSED, ACTIVE, …
    budget_micros INTEGER,                         -- daily budget, millionths of the account currency
    bidding       TEXT,                            -- bidding strategy, as the provider names it
    updated_at    INTEGER NOT NULL,                -- unix ms of the sync that last saw it
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

CREATE TABLE ad_groups (
    connection_id  TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    campaign_id    TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    cpc_bid_micros INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

CREATE TABLE ad_keywords (
    connection_id  TEXT    NOT NULL,
    id             TEXT    NOT NULL,               -- Google's `adGroupId~criterionId`
    ad_group_id    TEXT    NOT NULL,
    text           TEXT    NOT NULL,
    match_type     TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    cpc_bid_micros INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

CREATE TABLE ad_schedules (
    connection_id TEXT    NOT NULL,
    id            TEXT    NOT NULL,                -- Google's `campaignId~criterionId`
    campaign_id   TEXT    NOT NULL,
    day_of_week   TEXT    NOT NULL,                -- MONDAY … SUNDAY
    start_minute  INTEGER NOT NULL,                -- minutes after midnight, account time zone
    end_minute    INTEGER NOT NULL,
    bid_modifier  REAL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

-- One row per campaign and day: the snapshots rules compare against (cost per lead, pacing).
CREATE TABLE campaign_metrics (
    connection_id TEXT    NOT NULL,
    campaign_id   TEXT    NOT NULL,
    day           TEXT    NOT NULL,                -- YYYY-MM-DD, the account's time zone
    impressions   INTEGER NOT NULL DEFAULT 0,
    clicks        INTEGER NOT NULL DEFAULT 0,
    cost_micros   INTEGER NOT NULL DEFAULT 0,
    conversions   REAL    NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, campaign_id, day)
) WITHOUT ROWID;
