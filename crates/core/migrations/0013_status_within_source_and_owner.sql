-- A view filtered by source or owner and by status (the inbox's "won" under source "meta"),
-- and the counts per status of a view filtered by source or owner, read one index each: with
-- only (source, sort_key), SQLite walked every lead of the source in order and looked each one
-- up in the table for its status, a random page read per lead (17 s at a million leads when
-- few have the status). Counts read these indexes alone, without the table.
CREATE INDEX leads_by_source_status ON leads (source, status, sort_key);
CREATE INDEX leads_by_owner_status ON leads (owner, status, sort_key) WHERE owner IS NOT NULL;
