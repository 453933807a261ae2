-- The score sort puts scored leads first, highest first, and the unscored after them; leads of
-- equal score (and the unscored) go newest first, by sort key, as the time sorts do. So the
-- score index holds only scored leads, ordered by (score, sort_key): the unscored part of a
-- view is read as its newest-first walk is (a search from the search index, a date range from
-- the key index), a page at a time. With (score, seq) over every lead, a search sorted by score
-- read and sorted all its matches for each page (7 s for "ma" at a million leads), and every
-- import kept one more B-tree of a million NULLs.
DROP INDEX leads_by_score;
CREATE INDEX leads_by_score ON leads (score, sort_key) WHERE score IS NOT NULL;
