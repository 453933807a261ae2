-- How often the app's scheduler syncs a connection: NULL for the provider's default, 0 for
-- "only when asked" (Sync now, `leadvault sync`), otherwise every N seconds.
ALTER TABLE connections ADD COLUMN sync_every_secs INTEGER
    CHECK (sync_every_secs IS NULL OR sync_every_secs >= 0);
