-- Where each sync left off: one cursor per connection and stream (a Meta form, a Google Ads
-- customer's lead form data, ...), in the connector's own format. A page of leads and the
-- cursor after it are written in one transaction, so a crash loses nothing and doubles nothing.
CREATE TABLE sync_cursors (
    connection_id TEXT    NOT NULL,
    stream        TEXT    NOT NULL,                -- e.g. meta:form:<form id>
    cursor        TEXT    NOT NULL,
    label         TEXT,                            -- what people call the stream (a form's name)
    updated_at    INTEGER NOT NULL,                -- unix ms of the last page stored
    PRIMARY KEY (connection_id, stream)
) WITHOUT ROWID;
