-- The search index's terms, for expanding a typed word to the few terms it begins
-- (store::search::fts_query_expanded): "gmail" then reads one list lazily instead of FTS5
-- merging every list of every term that begins with it.
CREATE VIRTUAL TABLE leads_fts_terms USING fts5vocab (leads_fts, 'row');
