-- New synced leads are queued for the CRMs by the store, in one statement per batch
-- (store::leads::Inserter::finish), no longer by a trigger on every insert: a table with an
-- insert trigger makes SQLite keep a statement journal for each inserted row (a copy of every
-- page the row changes, in case the trigger fails), about a tenth of a big import's time,
-- even for imported leads, which the trigger's WHEN skipped. What is queued is unchanged.
DROP TRIGGER leads_push_new;
