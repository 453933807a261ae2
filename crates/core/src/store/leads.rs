//! Leads in the vault: keyset-paged lists, search, detail, changes with a timeline.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use tracing::info;

use crate::domain::{
    AdOrigin, Lead, LeadDetail, LeadFilter, LeadSort, LeadStatus, LeadUpdate, NewLead, Note, TimelineEvent,
    normalize_owner, normalize_tag,
};
use crate::error::{Error, Result};
use crate::store::search::{
    NationalNumber, expandable_prefixes, fts_query, fts_query_expanded, national_number,
};
use crate::store::sql::{Arg, Sql};
use crate::vault::Vault;

/// The columns every lead query reads, in the order [`lead_from_row`] expects.
macro_rules! lead_columns {
    () => {
        "l.seq, l.id, l.source, l.external_id, l.created_at, l.updated_at, \
    l.full_name, l.email, l.phone, l.company, l.status, l.owner, l.score, \
    l.ad_id, l.ad_name, l.adset_id, l.adset_name, l.campaign_id, l.campaign_name, \
    l.form_id, l.form_name, l.platform, l.is_organic, l.fields, \
    (SELECT group_concat(tag, ',') FROM (SELECT tag FROM lead_tags t WHERE t.lead_seq = l.seq ORDER BY tag)) AS tags"
    };
}
const LEAD_COLUMNS: &str = lead_columns!();

/// [`LEAD_COLUMNS`], then the lead's notes as a JSON array (`[{"at": ms, "body": text}]`, NULL
/// without notes): what an export writes. Only leads that have notes look them up.
const EXPORT_COLUMNS: &str = concat!(
    lead_columns!(),
    ", CASE WHEN l.notes_text = '' THEN NULL ELSE \
     (SELECT json_group_array(json_object('at', created_at, 'body', body)) \
      FROM (SELECT created_at, body FROM lead_notes n WHERE n.lead_seq = l.seq ORDER BY n.id)) END AS notes"
);

/// Where the next page starts, after the last lead shown. Opaque to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last lead's sort key (time sorts), or its score (`None`: unscored) for the score sort.
    key: Option<i64>,
    /// The last lead's sort key, which orders leads of equal score.
    tie: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self.key {
            Some(k) => format!("{k}.{}", self.tie),
            None => format!("n.{}", self.tie),
        }
    }

    pub fn decode(s: &str) -> Result<Cursor> {
        let bad = || Error::invalid("that page cursor is not valid; start again from the first page");
        let (k, tie) = s.split_once('.').ok_or_else(bad)?;
        let key = if k == "n" { None } else { Some(k.parse().map_err(|_| bad())?) };
        Ok(Cursor { key, tie: tie.parse().map_err(|_| bad())? })
    }
}

/// One page of a list and where the next one starts (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page {
    pub leads: Vec<Lead>,
    pub next: Option<Cursor>,
}

/// The vault's leads: `vault.leads().list(&filter, ...)`.
pub struct Leads<'v> {
    vault: &'v Vault,
}

impl Vault {
    pub fn leads(&self) -> Leads<'_> {
        Leads { vault: self }
    }
}

impl Leads<'_> {
    /// One page of leads matching `filter`, in `sort` order, after `after`.
    ///
    /// Two steps: find the page's rows (only their keys, so sorting touches as little as
    /// possible), then read those rows whole. Sorted by score, a page is read in up to two
    /// parts: the scored leads from the score index, then the unscored ones newest first, as
    /// the newest-first sort reads them (so a search or a date range costs the same per page
    /// whichever way it is sorted).
    pub async fn list(
        &self,
        filter: &LeadFilter,
        sort: LeadSort,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Page> {
        const KEYS: &str = "l.seq, l.sort_key, l.score";
        let limit = limit.clamp(1, 10_000);
        let mut conn = self.vault.pool.acquire().await?;
        let mut keys: Vec<(i64, i64, Option<i64>)> = Vec::new();
        let walks: &[Walk] = match sort {
            // Past the scored part (the cursor is on an unscored lead), only the rest is left.
            LeadSort::ScoreHigh if after.is_some_and(|c| c.key.is_none()) => &[Walk::Unscored],
            sort => Walk::of(sort),
        };
        for &walk in walks {
            let want = limit as usize - keys.len();
            if want == 0 {
                break;
            }
            let search = match filter.search.as_deref() {
                Some(text) if walk != Walk::Scored => expanded_query(&mut conn, text).await?,
                _ => None,
            };
            // Into the unscored part from the scored one: from its start.
            let after = after.filter(|c| walk != Walk::Unscored || c.key.is_none());
            let mut q = select_leads(KEYS, filter, search, walk, after, None);
            q.push(" LIMIT ").bind(want as i64);
            let part: Vec<(i64, i64, Option<i64>)> =
                bind!(sqlx::query_as(q.text()), q).fetch_all(&mut *conn).await?;
            keys.extend(part);
        }
        let seqs: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut rows = hydrate(&mut conn, &seqs).await?;
        let leads: Vec<Lead> = seqs.iter().filter_map(|seq| rows.remove(seq)).collect();
        let next = match (leads.len() == limit as usize, keys.last()) {
            (true, Some(&(_, sort_key, score))) => Some(Cursor {
                key: match sort {
                    LeadSort::Newest | LeadSort::Oldest => Some(sort_key),
                    LeadSort::ScoreHigh => score,
                },
                tie: sort_key,
            }),
            _ => None,
        };
        Ok(Page { leads, next })
    }

    /// Every lead matching `filter`, streamed from one query: flat memory at any size.
    pub fn stream<'a>(
        &'a self,
        filter: &LeadFilter,
        sort: LeadSort,
    ) -> impl Stream<Item = Result<Lead>> + Send + 'a {
        let filter = filter.clone();
        async_stream_rows(self.vault.pool.clone(), filter, sort)
    }

    /// How many leads match `filter`.
    pub async fn count(&self, filter: &LeadFilter) -> Result<i64> {
        let mut q = Sql::new("SELECT count(*) FROM leads l WHERE 1 = 1");
        push_filter(&mut q, filter);
        Ok(bind!(sqlx::query_scalar::<_, i64>(q.text()), q).fetch_one(&self.vault.pool).await?)
    }

    /// The source label as the vault files it: `label` itself when leads carry it, else the
    /// label they carry that differs from it only in case (the filters match labels in any
    /// case, so "Meta" and "meta" must not become two sources), else `label`.
    pub(crate) async fn source_as_filed(&self, label: &str) -> Result<String> {
        let mut q = Sql::new("SELECT ");
        push_label(&mut q, "source", label);
        Ok(bind!(sqlx::query_scalar::<_, String>(q.text()), q).fetch_one(&self.vault.pool).await?)
    }

    /// Lead counts per status for `filter` (its own status part ignored), every status listed.
    ///
    /// With a search, the counts walk the status index (status and sort key, every lead, in
    /// order) and keep the leads the search found. Left to itself, SQLite looks each found lead
    /// up in the table for its status instead: a random page read per lead, 2 to 14 s for the
    /// 383,505 leads "gmail" finds among a million (a third of a second this way, and at most
    /// 0.8 s for a search that finds them all).
    pub async fn count_by_status(&self, filter: &LeadFilter) -> Result<Vec<(LeadStatus, i64)>> {
        let filter = LeadFilter { status: None, ..filter.clone() };
        let mut q = Sql::new(if filter.search.is_some() {
            "SELECT l.status, count(*) FROM leads l INDEXED BY leads_by_status WHERE 1 = 1"
        } else {
            "SELECT l.status, count(*) FROM leads l WHERE 1 = 1"
        });
        push_filter(&mut q, &filter);
        q.push(" GROUP BY l.status");
        let rows: Vec<(String, i64)> = bind!(sqlx::query_as(q.text()), q).fetch_all(&self.vault.pool).await?;
        Ok(LeadStatus::ALL
            .into_iter()
            .map(|s| (s, rows.iter().find(|(n, _)| n == s.as_str()).map_or(0, |(_, c)| *c)))
            .collect())
    }

    /// A lead with its notes and timeline.
    pub async fn get(&self, typed: &str) -> Result<LeadDetail> {
        let mut conn = self.vault.pool.acquire().await?;
        let id = resolve_id(&mut conn, typed).await?;
        get_detail(&mut conn, &id).await.map_err(|e| not_found_as_typed(e, typed))
    }

    /// Applies `change` to one lead; every part that changes something adds a timeline event.
    pub async fn update(&self, id: &str, change: &LeadUpdate) -> Result<LeadDetail> {
        self.update_counted(id, change).await.map(|(detail, _)| detail)
    }

    /// [`Leads::update`], also saying how many parts of the change changed something (none
    /// when the lead already was as asked).
    pub async fn update_counted(&self, typed: &str, change: &LeadUpdate) -> Result<(LeadDetail, usize)> {
        let change = CheckedUpdate::new(change)?;
        let now = self.vault.clock.now().timestamp_millis();
        let mut tx = self.vault.write_transaction().await?;
        let id = resolve_id(&mut tx, typed).await?;
        let changes = change.apply(&mut tx, &id, now).await.map_err(|e| not_found_as_typed(e, typed))?;
        let detail = get_detail(&mut tx, &id).await?;
        tx.commit().await?;
        info!(lead = id, changes, "lead updated");
        Ok((detail, changes))
    }

    /// Applies `change` to every lead of `ids` (whole ids, as lists give them) in one
    /// transaction: all of them change, or, if one fails (a lead deleted since, the vault busy
    /// past the wait, the app stopped), none. Returns how many leads it changed (those already
    /// as asked are not counted).
    pub async fn update_many(&self, ids: &[String], change: &LeadUpdate) -> Result<u64> {
        let change = CheckedUpdate::new(change)?;
        let now = self.vault.clock.now().timestamp_millis();
        let mut tx = self.vault.write_transaction().await?;
        let mut changed = 0;
        for id in ids {
            changed += u64::from(change.apply(&mut tx, id, now).await? > 0);
        }
        tx.commit().await?;
        info!(leads = ids.len(), changed, "leads updated together");
        Ok(changed)
    }
}

/// A [`LeadUpdate`] whose parts were checked: tags and the owner as they are stored.
struct CheckedUpdate<'c> {
    change: &'c LeadUpdate,
    add_tags: Vec<String>,
    remove_tags: Vec<String>,
    /// `Some(None)` clears the owner.
    new_owner: Option<Option<String>>,
}

impl<'c> CheckedUpdate<'c> {
    fn new(change: &'c LeadUpdate) -> Result<CheckedUpdate<'c>> {
        if change.is_empty() {
            return Err(Error::invalid(
                "nothing to change: give --status, --owner, --add-tag, --remove-tag or --note",
            ));
        }
        let add_tags = change.add_tags.iter().map(|t| normalize_tag(t)).collect::<Result<Vec<_>>>()?;
        // A tag to remove is only looked up: one stored before the rules on tags tightened
        // (a `;` in it) can still go. An empty one is a mistake, as when adding.
        let remove_tags: Vec<String> = change.remove_tags.iter().map(|t| t.trim().to_lowercase()).collect();
        if remove_tags.iter().any(String::is_empty) {
            return Err(Error::invalid("the tag to remove is empty; give the tag, such as --remove-tag hot"));
        }
        // A name is checked like a tag.
        let new_owner =
            change.owner.as_ref().map(|o| o.as_deref().map(normalize_owner).transpose()).transpose()?;
        if let Some(note) = &change.note
            && note.trim().is_empty()
        {
            return Err(Error::invalid("the note is empty; write something to add"));
        }
        Ok(CheckedUpdate { change, add_tags, remove_tags, new_owner })
    }

    /// Applies the change to the lead `id` inside the caller's transaction; every part that
    /// changes something adds a timeline event. Returns how many did.
    async fn apply(&self, tx: &mut SqliteConnection, id: &str, now: i64) -> Result<usize> {
        let current: Option<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT seq, status, owner FROM leads WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((seq, status, owner)) = current else {
            return Err(Error::LeadNotFound { id: id.to_string() });
        };
        let mut events: Vec<(&str, Value)> = Vec::new();
        if let Some(new) = self.change.status
            && new.as_str() != status
        {
            sqlx::query("UPDATE leads SET status = ? WHERE seq = ?")
                .bind(new.as_str())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            events.push(("status", json!({"from": status, "to": new.as_str()})));
        }
        if let Some(new_owner) = &self.new_owner {
            let new_owner = new_owner.as_deref();
            if new_owner != owner.as_deref() {
                sqlx::query("UPDATE leads SET owner = ? WHERE seq = ?")
                    .bind(new_owner)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                events.push(("owner", json!({"from": owner, "to": new_owner})));
            }
        }
        for tag in &self.add_tags {
            let done = sqlx::query("INSERT OR IGNORE INTO lead_tags (lead_seq, tag) VALUES (?, ?)")
                .bind(seq)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() > 0 {
                events.push(("tag_added", json!({"tag": tag})));
            }
        }
        for tag in &self.remove_tags {
            let done = sqlx::query("DELETE FROM lead_tags WHERE lead_seq = ? AND tag = ?")
                .bind(seq)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() > 0 {
                events.push(("tag_removed", json!({"tag": tag})));
            }
        }
        if let Some(note) = &self.change.note {
            let note = note.trim();
            let note_id = sqlx::query("INSERT INTO lead_notes (lead_seq, created_at, body) VALUES (?, ?, ?)")
                .bind(seq)
                .bind(now)
                .bind(note)
                .execute(&mut *tx)
                .await?
                .last_insert_rowid();
            sqlx::query(
                "UPDATE leads SET notes_text = CASE WHEN notes_text = '' THEN ?1 ELSE notes_text || char(10) || ?1 END WHERE seq = ?2",
            )
            .bind(note)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            events.push(("note", json!({"note_id": note_id})));
        }
        if !events.is_empty() {
            sqlx::query("UPDATE leads SET updated_at = ? WHERE seq = ?")
                .bind(now)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            for (kind, detail) in &events {
                sqlx::query("INSERT INTO lead_events (lead_seq, at, kind, detail) VALUES (?, ?, ?, ?)")
                    .bind(seq)
                    .bind(now)
                    .bind(*kind)
                    .bind(detail.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(events.len())
    }
}

fn async_stream_rows(
    pool: sqlx::SqlitePool,
    filter: LeadFilter,
    sort: LeadSort,
) -> impl Stream<Item = Result<Lead>> + Send {
    // One query runs in its own task and hands rows over a bounded channel in small batches:
    // memory stays flat, and dropping the stream stops the query.
    const BATCH: usize = 256;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<Result<Lead>>>(8);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH);
        // The score sort in its two parts, one after the other, each read in order.
        for &walk in Walk::of(sort) {
            let q = select_leads(LEAD_COLUMNS, &filter, None, walk, None, None);
            let mut rows = bind!(sqlx::query(q.text()), q).fetch(&pool);
            while let Some(row) = rows.next().await {
                let failed = row.is_err();
                batch.push(row.map_err(Error::from).and_then(|r| lead_from_row(&r).map(|(_, l)| l)));
                if batch.len() == BATCH || failed {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    let gone = tx.send(full).await.is_err();
                    if gone || failed {
                        return;
                    }
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) })
        .flat_map(futures_util::stream::iter)
}

/// A run of a time-sorted view: the leads after `after` and up to `through` (sort keys; `None`
/// for no bound on that side), so that runs split at keys cover the view once between them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeyRange {
    pub(crate) after: Option<i64>,
    pub(crate) through: Option<i64>,
}

/// Where the view splits into runs of `every` leads: calls `each` with the sort key of each
/// run's last lead but the final run's, as the scan finds them. Reads only keys, from the index
/// the view walks. Finds none for the score sort, which is read in one piece.
pub(crate) fn split_keys(
    conn: &rusqlite::Connection,
    filter: &LeadFilter,
    sort: LeadSort,
    every: usize,
    halt: &dyn Fn() -> bool,
    mut each: impl FnMut(i64) -> Result<()>,
) -> Result<()> {
    if sort == LeadSort::ScoreHigh || every == 0 {
        return Ok(());
    }
    let walk = if sort == LeadSort::Oldest { Walk::Oldest } else { Walk::Newest };
    let q = select_leads("l.sort_key", filter, None, walk, None, None);
    let mut stmt = conn.prepare(q.as_str())?;
    let mut rows = stmt.query(rusqlite::params_from_iter(q.args()))?;
    let (mut n, mut pending) = (0usize, None);
    while let Some(row) = rows.next()? {
        // A run ends at its last key only once another lead follows it.
        if let Some(k) = pending.take() {
            each(k)?;
        }
        n += 1;
        if n % every == 0 {
            pending = Some(row.get::<_, i64>(0)?);
        }
        if n % 1024 == 0 && halt() {
            return Err(Error::Cancelled);
        }
    }
    Ok(())
}

/// Calls `each` with every lead matching `filter` in `range`, in `sort` order, in batches of up
/// to `size` rows copied out of SQLite: the bulk path of exports. The batches are `Send`, so
/// another thread can turn them into leads while this one reads on.
pub(crate) fn for_each_batch(
    conn: &rusqlite::Connection,
    filter: &LeadFilter,
    sort: LeadSort,
    range: KeyRange,
    size: usize,
    mut each: impl FnMut(RowBatch) -> Result<()>,
) -> Result<()> {
    let after = range.after.map(|key| Cursor { key: Some(key), tie: key });
    let mut batch: Option<RowBatch> = None;
    // The score sort (read in one run: no key range) in its two parts, one after the other.
    for &walk in Walk::of(sort) {
        let q = select_leads(EXPORT_COLUMNS, filter, None, walk, after.as_ref(), range.through);
        let mut stmt = conn.prepare(q.as_str())?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(q.args()))?;
        while let Some(row) = rows.next()? {
            let filling = batch.get_or_insert_with(|| RowBatch::new(size, width));
            filling.push_row(row)?;
            if filling.len() == size {
                let mut full = batch.take().expect("a batch is being filled");
                full.seal()?;
                each(full)?;
            }
        }
    }
    if let Some(mut rest) = batch.filter(|b| b.len() > 0) {
        rest.seal()?;
        each(rest)?;
    }
    Ok(())
}

/// Rows copied out of SQLite into one buffer: the reading thread allocates once per batch
/// instead of once per value.
pub(crate) struct RowBatch {
    /// The text of the rows sealed so far ([`RowBatch::seal`]): what the cells read.
    text: String,
    /// The text of the rows pushed since, as SQLite gave it, not yet checked to be UTF-8.
    unchecked: Vec<u8>,
    /// The first cell pushed since the last seal.
    unsealed_from: usize,
    cells: Vec<Cell>,
    width: usize,
}

#[derive(Clone, Copy)]
enum Cell {
    Null,
    Int(i64),
    /// Where the cell's text starts and ends in the batch's text.
    Text(usize, usize),
}

impl RowBatch {
    fn new(rows: usize, width: usize) -> RowBatch {
        RowBatch {
            text: String::new(),
            unchecked: Vec::with_capacity(rows * 256),
            unsealed_from: 0,
            cells: Vec::with_capacity(rows * width),
            width,
        }
    }

    /// How many bytes of text the batch holds.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len() + self.unchecked.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.cells.len() / self.width.max(1)
    }

    /// Copies a row's values in. Its text is checked to be UTF-8 when the batch is sealed, all
    /// at once: checking each short value on its own took 4 % of a big export's time.
    fn push_row(&mut self, row: &rusqlite::Row) -> Result<()> {
        use rusqlite::types::ValueRef;
        for i in 0..self.width {
            let cell = match row.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Int(v as i64),
                ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                    let start = self.text.len() + self.unchecked.len();
                    self.unchecked.extend_from_slice(bytes);
                    Cell::Text(start, start + bytes.len())
                }
            };
            self.cells.push(cell);
        }
        Ok(())
    }

    /// Checks the text pushed since the last seal and makes it readable: UTF-8 as a whole, and
    /// every cell starting and ending between characters (so each cell is UTF-8 on its own).
    fn seal(&mut self) -> Result<()> {
        let not_utf8 = || Error::Database("a lead holds text that is not UTF-8".into());
        let from = self.text.len();
        if from == 0 {
            // The first seal (every one, in an export) takes the buffer over without a copy.
            self.text = String::from_utf8(std::mem::take(&mut self.unchecked)).map_err(|_| not_utf8())?;
        } else {
            self.text.push_str(std::str::from_utf8(&self.unchecked).map_err(|_| not_utf8())?);
            self.unchecked.clear();
        }
        for cell in &self.cells[self.unsealed_from..] {
            if let Cell::Text(start, end) = *cell
                && (start < from || !self.text.is_char_boundary(start) || !self.text.is_char_boundary(end))
            {
                self.text.truncate(from);
                return Err(not_utf8());
            }
        }
        self.unsealed_from = self.cells.len();
        Ok(())
    }

    /// The batch's rows as leads, with their notes.
    pub(crate) fn leads(&self) -> impl Iterator<Item = Result<ExportedLead>> + '_ {
        self.rows().map(|row| Ok(ExportedLead { lead: lead_from_row(&row)?.1, notes: row.notes() }))
    }

    /// The batch's rows, read in place.
    pub(crate) fn rows(&self) -> impl Iterator<Item = BatchRow<'_>> {
        (0..self.len()).map(|r| BatchRow { batch: self, first: r * self.width })
    }
}

/// A lead as an export writes it as JSON: the fields of `leads list --json`, and its notes.
#[derive(Serialize)]
pub(crate) struct ExportedLead {
    #[serde(flatten)]
    pub(crate) lead: Lead,
    pub(crate) notes: Vec<Note>,
}

/// One row of a [`RowBatch`].
pub(crate) struct BatchRow<'b> {
    batch: &'b RowBatch,
    first: usize,
}

impl<'b> BatchRow<'b> {
    /// Column `i` as text, borrowed from the batch ("" for NULL).
    fn cell(&self, i: usize) -> Cow<'b, str> {
        match self.batch.cells[self.first + i] {
            Cell::Null => Cow::Borrowed(""),
            Cell::Int(v) => Cow::Owned(v.to_string()),
            Cell::Text(start, end) => Cow::Borrowed(&self.batch.text[start..end]),
        }
    }

    fn time(&self, i: usize) -> Result<Cow<'b, str>> {
        let ms = self.int(i)?.unwrap_or_default();
        Ok(Cow::Owned(millis(ms).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
    }

    /// The lead's notes (read by [`EXPORT_COLUMNS`]), oldest first.
    pub(crate) fn notes(&self) -> Vec<Note> {
        #[derive(serde::Deserialize)]
        struct Stored {
            at: i64,
            body: String,
        }
        let cell = self.cell(25);
        if cell.is_empty() {
            return Vec::new();
        }
        let stored: Vec<Stored> = serde_json::from_str(&cell).unwrap_or_default();
        stored.into_iter().map(|n| Note { at: millis(n.at), body: n.body }).collect()
    }

    /// The lead's cells under `export::COLUMNS`, as they read in the lead [`lead_from_row`]
    /// makes, without building it.
    pub(crate) fn export_cells(&self) -> Result<[Cow<'b, str>; 24]> {
        let organic = match self.int(22)? {
            Some(v) => Cow::Borrowed(if v != 0 { "true" } else { "false" }),
            None => Cow::Borrowed(""),
        };
        Ok([
            self.cell(1),
            self.cell(2),
            self.cell(3),
            self.time(4)?,
            self.cell(6),
            self.cell(7),
            self.cell(8),
            self.cell(9),
            self.cell(10),
            self.cell(11),
            self.cell(24),
            self.cell(12),
            self.cell(13),
            self.cell(14),
            self.cell(15),
            self.cell(16),
            self.cell(17),
            self.cell(18),
            self.cell(19),
            self.cell(20),
            self.cell(21),
            organic,
            self.time(5)?,
            Cow::Owned(crate::import::leadvault_csv::notes_cell(&self.notes())),
        ])
    }

    /// The lead's form answers and custom columns (empty if they do not parse).
    pub(crate) fn fields(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(&self.cell(23)).unwrap_or_default()
    }
}

impl Columns for BatchRow<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        match self.batch.cells[self.first + i] {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(v)),
            Cell::Text(..) => Err(Error::Database(format!("column {i} of a lead holds text, not a number"))),
        }
    }

    fn text(&self, i: usize) -> Result<Option<String>> {
        match self.batch.cells[self.first + i] {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(v.to_string())),
            Cell::Text(start, end) => Ok(Some(self.batch.text[start..end].to_string())),
        }
    }
}

/// The latest creation time the sort key tells apart (2100-01-01): later ones share its key.
const KEY_MAX_MS: i64 = 4_102_444_800_000;

/// The smallest sort key a lead created at `ms` or later can have (see migration 0002, which
/// computes the key in SQL the same way).
fn key_floor(ms: i64) -> i64 {
    (ms.clamp(0, KEY_MAX_MS) / 1000) << 31
}

/// Whether "created at `ms` or later" is exactly "sort key at least `key_floor(ms)`" (and
/// "before `ms`", "below it"): the keys keep whole seconds, so it is at a whole second inside
/// the range they keep apart.
fn key_bound_is_exact(ms: i64) -> bool {
    ms % 1000 == 0 && ms > 0 && ms <= KEY_MAX_MS
}

/// The MATCH expression for `text` with its long one-word prefixes expanded to the terms they
/// begin, when there are few (see [`fts_query_expanded`]).
async fn expanded_query(conn: &mut SqliteConnection, text: &str) -> Result<Option<String>> {
    /// More terms than this and the prefix query is the better plan.
    const MAX_TERMS: i64 = 16;
    let mut expansions = HashMap::new();
    for prefix in expandable_prefixes(text) {
        // From just after the word itself (terms hold no control characters) to the last term
        // that begins with it: the word's own, possibly huge, list is never read.
        let others: Vec<String> =
            sqlx::query_scalar("SELECT term FROM leads_fts_terms WHERE term >= ? AND term < ? LIMIT ?")
                .bind(format!("{prefix}\u{1}"))
                .bind(format!("{prefix}\u{10FFFF}"))
                .bind(MAX_TERMS)
                .fetch_all(&mut *conn)
                .await?;
        if (others.len() as i64) < MAX_TERMS {
            let mut all = vec![prefix.clone()];
            all.extend(others);
            expansions.insert(prefix, all);
        }
    }
    Ok(fts_query_expanded(text, &expansions))
}

/// The order a query reads leads in: a sort, or one part of the score sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Newest,
    Oldest,
    /// The score sort's first part: the scored leads, from the score index (which holds only
    /// them).
    Scored,
    /// Its second part: the unscored leads, newest first, read as [`Walk::Newest`] reads.
    Unscored,
}

impl Walk {
    /// The walks that read the whole view in `sort` order, one after the other: the score sort
    /// (highest first, the unscored last, equal scores newest first) in its two parts, each
    /// from an index in order, never sorted in memory.
    fn of(sort: LeadSort) -> &'static [Walk] {
        match sort {
            LeadSort::Newest => &[Walk::Newest],
            LeadSort::Oldest => &[Walk::Oldest],
            LeadSort::ScoreHigh => &[Walk::Scored, Walk::Unscored],
        }
    }
}

/// `SELECT <columns> FROM leads l ... WHERE <filter> [AND after cursor] [AND through key]
/// ORDER BY <walk>`, with `search` (a MATCH expression) in place of the filter's own search
/// text when given. `through` ends a time-sorted query at that sort key, inclusive.
///
/// A search read newest or oldest first walks the search index from its newest match (its
/// rowids are the sort keys), so the first page costs the same whether ten leads match or half
/// a million.
fn select_leads(
    columns: &str,
    filter: &LeadFilter,
    search: Option<String>,
    walk: Walk,
    after: Option<&Cursor>,
    through: Option<i64>,
) -> Sql {
    let search = search.or_else(|| filter.search.as_deref().and_then(fts_query));
    let by_time = matches!(walk, Walk::Newest | Walk::Oldest | Walk::Unscored);
    let mut q = match &search {
        Some(m) if by_time => {
            let mut q = Sql::new(format!(
                "SELECT {columns} FROM leads_fts f JOIN leads l ON l.sort_key = f.rowid WHERE leads_fts MATCH "
            ));
            let national = filter.search.as_deref().and_then(national_number);
            q.bind(candidates(m, national.as_ref()));
            push_national(&mut q, "f.rowid", m, national.as_ref());
            push_conditions(&mut q, filter);
            q
        }
        _ => {
            // The scored part walks the score index whatever else filters it: SQLite would
            // otherwise read every match of a search and sort them.
            let from = if walk == Walk::Scored {
                "leads l INDEXED BY leads_by_score WHERE l.score IS NOT NULL"
            } else {
                "leads l WHERE 1 = 1"
            };
            let mut q = Sql::new(format!("SELECT {columns} FROM {from}"));
            push_filter(&mut q, filter);
            q
        }
    };
    if walk == Walk::Unscored {
        q.push(" AND l.score IS NULL");
    }
    // The search index takes the bounds on its rowid itself; elsewhere the leads' key index does.
    let key = if search.is_some() && by_time { "f.rowid" } else { "l.sort_key" };
    match (walk, after) {
        (Walk::Newest | Walk::Unscored, Some(c)) => {
            q.push(&format!(" AND {key} < ")).bind(c.key.unwrap_or(c.tie));
        }
        (Walk::Oldest, Some(c)) => {
            q.push(&format!(" AND {key} > ")).bind(c.key.unwrap_or(c.tie));
        }
        (Walk::Scored, Some(Cursor { key: Some(k), tie })) => {
            q.push(" AND (l.score < ").bind(*k);
            q.push(" OR (l.score = ").bind(*k).push(" AND l.sort_key < ").bind(*tie).push("))");
        }
        (Walk::Scored, Some(Cursor { key: None, .. })) => {
            debug_assert!(false, "a cursor on an unscored lead is past the scored part");
            q.push(" AND 0");
        }
        (_, None) => {}
    }
    match (walk, through) {
        (Walk::Newest | Walk::Unscored, Some(k)) => {
            q.push(&format!(" AND {key} >= ")).bind(k);
        }
        (Walk::Oldest, Some(k)) => {
            q.push(&format!(" AND {key} <= ")).bind(k);
        }
        (_, Some(_)) => debug_assert!(false, "score pages have no key range"),
        (_, None) => {}
    }
    q.push(&match walk {
        Walk::Newest | Walk::Unscored => format!(" ORDER BY {key} DESC"),
        Walk::Oldest => format!(" ORDER BY {key} ASC"),
        Walk::Scored => " ORDER BY l.score DESC, l.sort_key DESC".to_string(),
    });
    q
}

/// ` AND ...` for every part of `f`, the search included.
pub(crate) fn push_filter(q: &mut Sql, f: &LeadFilter) {
    if let Some(text) = f.search.as_deref() {
        match fts_query(text) {
            Some(m) => {
                let national = national_number(text);
                q.push(" AND l.sort_key IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ")
                    .bind(candidates(&m, national.as_ref()))
                    .push(")");
                push_national(q, "l.sort_key", &m, national.as_ref());
            }
            // Nothing searchable (only punctuation): nothing matches, as in any search box.
            None if !text.trim().is_empty() => {
                q.push(" AND 0");
            }
            None => {}
        }
    }
    push_conditions(q, f);
}

/// The MATCH expression for the leads a search whose own expression is `m` may find: `m`, and
/// for a number typed the national way ("07911 123456"), the leads whose phone ends as it does,
/// which [`push_national`] narrows to those it is.
fn candidates(m: &str, national: Option<&NationalNumber>) -> String {
    match national {
        Some(n) => format!("({m}) OR {}", n.candidates),
        None => m.to_string(),
    }
}

/// For a number typed the national way, ` AND ...` keeping of the [`candidates`] (`key` their
/// sort key) those `m` finds and those whose phone is the number after a country code of one to
/// three digits: "07911 123456" finds +44 7911 123456 (447911123456), not a phone that only
/// shares its last 7 digits.
fn push_national(q: &mut Sql, key: &str, m: &str, national: Option<&NationalNumber>) {
    let Some(n) = national else { return };
    let len = n.digits.len() as i64;
    q.push(" AND (length(l.phone_digits) BETWEEN ").bind(len + 1).push(" AND ").bind(len + 3);
    q.push(" AND substr(l.phone_digits, ").bind(-len).push(") = ").bind(n.digits.as_str());
    q.push(&format!(" OR {key} IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ")).bind(m).push("))");
}

/// ` AND ...` for every part of `f` but the search.
fn push_conditions(q: &mut Sql, f: &LeadFilter) {
    if let Some(s) = f.status {
        q.push(" AND l.status = ").bind(s.as_str());
    }
    if let Some(s) = &f.source {
        q.push(" AND l.source = ");
        push_label(q, "source", s.trim());
    }
    if let Some(o) = &f.owner {
        q.push(" AND l.owner = ");
        push_label(q, "owner", o.trim());
    }
    if let Some(t) = &f.tag {
        let t = t.trim().to_lowercase();
        q.push(" AND l.seq IN (SELECT lead_seq FROM lead_tags WHERE tag = ").bind(t).push(")");
    }
    // Bounds on the sort key, which the indexes can use, and the exact bounds where those are
    // coarser (a time within a second): a day or a whole second is read, and counted, from an
    // index alone, without each lead's row.
    if let Some(d) = f.since {
        let ms = d.timestamp_millis();
        if !key_bound_is_exact(ms) {
            q.push(" AND l.created_at >= ").bind(ms);
        }
        q.push(" AND l.sort_key >= ").bind(key_floor(ms));
    }
    if let Some(d) = f.until {
        let ms = d.timestamp_millis();
        if !key_bound_is_exact(ms) {
            q.push(" AND l.created_at < ").bind(ms);
        }
        q.push(" AND l.sort_key < ").bind(key_floor(ms.saturating_sub(1)).saturating_add(1 << 31));
    }
}

/// The stored spelling of a source or owner the user typed: the label itself when some lead has
/// it exactly, else one that differs only in case ("Meta" finds "meta"), else the label as typed
/// (which matches nothing). The labels are found by walking the column's index from one
/// distinct value to the next, a seek each, so it costs a handful of lookups, not a scan.
/// SQLite evaluates the subquery once and compares `l.source` with its result, so the list
/// still reads its own index.
fn push_label(q: &mut Sql, column: &'static str, label: &str) {
    q.push(&format!("(SELECT coalesce((SELECT {column} FROM leads WHERE {column} = "));
    q.bind(label.to_string());
    q.push(&format!(
        " LIMIT 1), (WITH RECURSIVE v (label) AS (SELECT min({column}) FROM leads WHERE {column} IS NOT NULL \
         UNION ALL SELECT (SELECT min({column}) FROM leads WHERE {column} > v.label) FROM v \
         WHERE v.label IS NOT NULL) SELECT label FROM v WHERE label = "
    ));
    q.bind(label.to_string());
    q.push(" COLLATE NOCASE LIMIT 1), ");
    q.bind(label.to_string());
    q.push("))");
}

pub(crate) fn millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Reads the leads with these `seq`s whole, keyed by `seq`.
async fn hydrate(conn: &mut SqliteConnection, seqs: &[i64]) -> Result<std::collections::HashMap<i64, Lead>> {
    if seqs.is_empty() {
        return Ok(Default::default());
    }
    let mut q = Sql::new(format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.seq IN ("));
    for (i, seq) in seqs.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(*seq);
    }
    q.push(")");
    let rows = bind!(sqlx::query(q.text()), q).fetch_all(&mut *conn).await?;
    rows.iter().map(lead_from_row).collect()
}

/// A row of either driver, read by column position.
trait Columns {
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<Option<String>>;
}

impl Columns for SqliteRow {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.try_get(i)?)
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.try_get(i)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.get(i)?)
    }
}

/// A lead from the columns of [`LEAD_COLUMNS`], with its `seq`.
fn lead_from_row(row: &impl Columns) -> Result<(i64, Lead)> {
    let text = |i| row.text(i).map(Option::unwrap_or_default);
    let fields = row.text(23)?.and_then(|f| serde_json::from_str(&f).ok()).unwrap_or_default();
    let lead = Lead {
        id: text(1)?,
        source: text(2)?,
        external_id: text(3)?,
        created_at: millis(row.int(4)?.unwrap_or_default()),
        updated_at: millis(row.int(5)?.unwrap_or_default()),
        full_name: row.text(6)?,
        email: row.text(7)?,
        phone: row.text(8)?,
        company: row.text(9)?,
        status: text(10)?.parse().unwrap_or_default(),
        owner: row.text(11)?,
        tags: row.text(24)?.map(|t| t.split(',').map(str::to_string).collect()).unwrap_or_default(),
        score: row.int(12)?,
        ad: AdOrigin {
            ad_id: row.text(13)?,
            ad_name: row.text(14)?,
            adset_id: row.text(15)?,
            adset_name: row.text(16)?,
            campaign_id: row.text(17)?,
            campaign_name: row.text(18)?,
            form_id: row.text(19)?,
            form_name: row.text(20)?,
            platform: row.text(21)?,
            is_organic: row.int(22)?.map(|v| v != 0),
        },
        fields,
    };
    Ok((row.int(0)?.unwrap_or_default(), lead))
}

/// The fewest characters of an id that find a lead by its beginning; ids are 26-character ULIDs.
const MIN_ID_PREFIX: usize = 4;

/// The full id of the lead `typed` names: its id in any case, or the first characters of
/// it (at least 4) when only one lead's id begins with them. A typed id that names no lead is
/// returned as it is, for the caller's "no lead with id" ([`not_found_as_typed`]); one too
/// short to look up is refused.
async fn resolve_id(conn: &mut SqliteConnection, typed: &str) -> Result<String> {
    match typed.trim().chars().count() {
        0 => return Err(Error::invalid("no lead id given; list ids with `leadvault leads list`")),
        n if n < MIN_ID_PREFIX => {
            return Err(Error::invalid(format!(
                "a lead id of {n} characters is too short to find a lead: type at least {MIN_ID_PREFIX} characters of the id (`leadvault leads list` shows them)"
            )));
        }
        _ => {}
    }
    let id = typed.trim().to_ascii_uppercase();
    // A whole id (every id is a 26-character ULID) is looked up by the caller as it is.
    if id.len() < MIN_ID_PREFIX || id.len() >= 26 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(id);
    }
    // Ids are ULIDs (upper-case letters and digits), so every id beginning with `id` sorts
    // between it and it followed by '~'.
    let found: Vec<String> =
        sqlx::query_scalar("SELECT id FROM leads WHERE id >= ?1 AND id < ?1 || '~' LIMIT 2")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Ok(id),
        _ => Err(Error::invalid(format!(
            "more than one lead's id begins with {id}; type more of it (leadvault leads list shows whole ids)"
        ))),
    }
}

/// "No lead with id X" says X as it was typed (the lookup upper-cases it), and only when it
/// reads as an id (letters and digits mixed, as a ULID's start is): a name, a phone number or
/// an email typed there is not repeated.
fn not_found_as_typed(e: Error, typed: &str) -> Error {
    match e {
        Error::LeadNotFound { .. } => {
            let id = typed.trim();
            let looks_like_id = id.len() <= 26
                && id.bytes().all(|b| b.is_ascii_alphanumeric())
                && id.bytes().any(|b| b.is_ascii_digit())
                && id.bytes().any(|b| b.is_ascii_alphabetic());
            if looks_like_id {
                Error::LeadNotFound { id: id.to_string() }
            } else {
                Error::invalid(
                    "no lead has the id you typed (an id is 26 letters and digits, or its first few); list ids with `leadvault leads list`",
                )
            }
        }
        other => other,
    }
}

async fn get_detail(conn: &mut SqliteConnection, id: &str) -> Result<LeadDetail> {
    let sql = format!("SELECT {LEAD_COLUMNS}, l.added_at FROM leads l WHERE l.id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    let Some(row) = row else {
        return Err(Error::LeadNotFound { id: id.to_string() });
    };
    let (seq, lead) = lead_from_row(&row)?;
    let added_at = millis(row.try_get(25)?);
    let notes = sqlx::query_as::<_, (i64, String)>(
        "SELECT created_at, body FROM lead_notes WHERE lead_seq = ? ORDER BY id",
    )
    .bind(seq)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(at, body)| Note { at: millis(at), body })
    .collect();
    let mut timeline = vec![
        TimelineEvent { at: lead.created_at, kind: "created".into(), detail: json!({"source": lead.source}) },
        TimelineEvent { at: added_at, kind: "added".into(), detail: json!({}) },
    ];
    let events = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT at, kind, detail FROM lead_events WHERE lead_seq = ? ORDER BY id",
    )
    .bind(seq)
    .fetch_all(&mut *conn)
    .await?;
    timeline.extend(events.into_iter().map(|(at, kind, detail)| TimelineEvent {
        at: millis(at),
        kind,
        detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
    }));
    Ok(LeadDetail { lead, notes, timeline })
}

/// One new lead, unless the vault has it. Nothing may fire on this insert (no trigger on
/// `leads` for INSERT): SQLite would then keep a statement journal for every row, a copy of
/// each page the row changes, about a third of the time a big import spends on the rows.
const INSERT_LEAD: &str = "INSERT INTO leads (seq, id, source, external_id, created_at, added_at, updated_at, \
     full_name, email, phone, phone_digits, company, status, owner, \
     ad_id, ad_name, adset_id, adset_name, campaign_id, campaign_name, form_id, form_name, \
     platform, is_organic, fields, fingerprint, connection_id, notes_text, score) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
     ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28) \
     ON CONFLICT (source, external_id) DO NOTHING";

/// Adds new leads inside a transaction on a bulk connection; a lead whose (source, external
/// id) is already in the vault is left as it is. The caller holds the write lock (`BEGIN
/// IMMEDIATE`), so `seq`s are given out here in order, and ends with [`Inserter::finish`].
pub(crate) struct Inserter<'c> {
    insert: rusqlite::CachedStatement<'c>,
    tag: rusqlite::CachedStatement<'c>,
    note: rusqlite::CachedStatement<'c>,
    /// The newest lead before this transaction: those after it are new.
    pub(crate) before: i64,
    next_seq: i64,
    now: i64,
    pub(crate) added: u64,
    /// How many of the new leads carry each field name, for `lead_field_names`.
    field_names: HashMap<String, i64>,
    /// Whether a new lead came from a sync: those are queued for the CRMs.
    synced: bool,
    /// For files ([`Inserter::checking_ids`]): the leads filed under an id and under its
    /// digested forms, to tell whether one is the same person.
    same_id: Option<rusqlite::CachedStatement<'c>>,
    /// For files: each source label as the vault files it (see [`Leads::source_as_filed`]).
    filed: HashMap<String, String>,
    conn: &'c rusqlite::Connection,
}

impl<'c> Inserter<'c> {
    pub(crate) fn new(conn: &'c rusqlite::Connection, now: DateTime<Utc>) -> Result<Inserter<'c>> {
        let before: i64 =
            conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM leads")?.query_row([], |r| r.get(0))?;
        let insert = conn.prepare_cached(INSERT_LEAD)?;
        let tag = conn.prepare_cached("INSERT OR IGNORE INTO lead_tags (lead_seq, tag) VALUES (?, ?)")?;
        let note =
            conn.prepare_cached("INSERT INTO lead_notes (lead_seq, created_at, body) VALUES (?, ?, ?)")?;
        Ok(Inserter {
            insert,
            tag,
            note,
            before,
            next_seq: before + 1,
            now: now.timestamp_millis(),
            added: 0,
            field_names: HashMap::new(),
            synced: false,
            same_id: None,
            filed: HashMap::new(),
            conn,
        })
    }

    /// Checks the ids of a file's leads: a file's `id` column may be a row number, which
    /// another file uses for someone else. A lead whose id the vault already has for a
    /// different person (see [`same_person`]) goes in under that id with a digest of its
    /// content added (`7#3f2a…`); the same row, imported again or edited since, is found under
    /// either. Meta's and Google's lead ids too (a CRM export forced into Google's format, a
    /// download an editor renumbered), but only an email or phone tells a different person
    /// there: a lead of theirs with neither to compare is the one the vault has. Only a lead
    /// whose id is taken is looked up. Each lead's source is also filed as the vault already
    /// spells it, in any case ("Import" is "import"), as the filters match labels.
    pub(crate) fn checking_ids(mut self) -> Result<Inserter<'c>> {
        self.same_id = Some(self.conn.prepare_cached(
            "SELECT full_name, email, phone FROM leads WHERE source = ?1 AND external_id = ?2 \
             UNION ALL SELECT full_name, email, phone FROM leads \
             WHERE source = ?1 AND external_id > ?2 || '#' AND external_id < ?2 || '$'",
        )?);
        Ok(self)
    }

    /// Inserts `l` unless the vault has it; true if it was new.
    pub(crate) fn insert(&mut self, l: &NewLead) -> Result<bool> {
        let fields = serde_json::to_string(&l.fields).unwrap_or_else(|_| "{}".into());
        if self.same_id.is_none() {
            return self.insert_as(l, &l.source, &l.external_id, &fields);
        }
        let source = self.filed_source(&l.source)?;
        if self.insert_as(l, &source, &l.external_id, &fields)? {
            return Ok(true);
        }
        let by_name = !matches!(source.as_str(), "meta" | "google-ads");
        let same_id = self.same_id.as_mut().expect("checking ids");
        let mut filed = same_id.query(rusqlite::params![source, l.external_id])?;
        while let Some(r) = filed.next()? {
            if same_person((r.get(0)?, r.get(1)?, r.get(2)?), l, by_name) {
                return Ok(false);
            }
        }
        drop(filed);
        let id = format!("{}#{}", l.external_id, content_digest(l, &fields));
        self.insert_as(l, &source, &id, &fields)
    }

    /// `label` as the vault files it, found once per label.
    fn filed_source(&mut self, label: &str) -> Result<String> {
        if let Some(filed) = self.filed.get(label) {
            return Ok(filed.clone());
        }
        let mut q = Sql::new("SELECT ");
        push_label(&mut q, "source", label);
        let filed: String = self
            .conn
            .prepare_cached(q.as_str())?
            .query_row(rusqlite::params_from_iter(q.args()), |r| r.get(0))?;
        self.filed.insert(label.to_string(), filed.clone());
        Ok(filed)
    }

    /// Inserts `l` under `external_id` unless the vault has a lead there; true if it was new.
    fn insert_as(&mut self, l: &NewLead, source: &str, external_id: &str, fields: &str) -> Result<bool> {
        let seq = self.next_seq;
        let fingerprint = l.fingerprint().map(|f| f.0);
        let inserted = self.insert.execute(rusqlite::params![
            seq,
            ulid::Ulid::generate().to_string(),
            source,
            external_id,
            l.created_at.timestamp_millis(),
            self.now,
            l.full_name,
            l.email.as_ref().map(|e| e.as_str()),
            l.phone.as_ref().map(|p| p.as_str()),
            l.phone.as_ref().map(|p| p.digits()),
            l.company,
            l.status.as_str(),
            l.owner,
            l.ad.ad_id,
            l.ad.ad_name,
            l.ad.adset_id,
            l.ad.adset_name,
            l.ad.campaign_id,
            l.ad.campaign_name,
            l.ad.form_id,
            l.ad.form_name,
            l.ad.platform,
            l.ad.is_organic,
            fields,
            fingerprint.as_ref().map(|f| &f[..]),
            l.connection_id,
            // As `update` keeps it: the notes' bodies, one per line, for search.
            l.notes.iter().map(|n| n.body.as_str()).collect::<Vec<_>>().join("\n"),
            l.score,
        ])? == 1;
        if inserted {
            for tag in &l.tags {
                self.tag.execute(rusqlite::params![seq, tag])?;
            }
            for note in &l.notes {
                self.note.execute(rusqlite::params![seq, note.at.timestamp_millis(), note.body])?;
            }
            self.next_seq += 1;
            self.added += 1;
            self.synced |= l.connection_id.is_some();
            for name in l.fields.keys() {
                match self.field_names.get_mut(name) {
                    Some(n) => *n += 1,
                    None => {
                        self.field_names.insert(name.clone(), 1);
                    }
                }
            }
        }
        Ok(inserted)
    }

    /// Records the new leads' field names, queues the new synced ones for every CRM connection
    /// (migration 0007 says what is queued) and makes the new leads searchable; returns how
    /// many leads were new. The caller commits.
    pub(crate) fn finish(self) -> Result<u64> {
        let Inserter { insert, tag, note, same_id, before, added, field_names, synced, conn, .. } = self;
        drop((insert, tag, note, same_id));
        let mut count = conn.prepare_cached(
            "INSERT INTO lead_field_names (name, leads) VALUES (?, ?) \
             ON CONFLICT (name) DO UPDATE SET leads = leads + excluded.leads",
        )?;
        for (name, n) in &field_names {
            count.execute(rusqlite::params![name, n])?;
        }
        if synced {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO outbox (connection_id, lead_seq, idempotency_key, next_at, queued_at) \
                 SELECT c.id, l.seq, lower(hex(randomblob(16))), l.added_at, l.added_at \
                 FROM leads l, connections c \
                 WHERE l.seq > ? AND l.connection_id IS NOT NULL \
                   AND c.provider IN ('hubspot', 'pipedrive', 'salesforce')",
            )?
            .execute([before])?;
        }
        index_for_search(conn, before, added)?;
        Ok(added)
    }
}

/// Whether a lead the vault has (its name, email and phone as written) is the same person as `l`:
/// the same email or the same phone digits; when neither can be compared (one side has none
/// of them), the same name in any case (`by_name`), or whoever it is (a provider's id, not a
/// row number, then decides). A different email or phone is a different person, whatever the
/// name ("John Smith" is many people).
fn same_person(filed: (Option<String>, Option<String>, Option<String>), l: &NewLead, by_name: bool) -> bool {
    let (name, email, phone) = filed;
    // Its digits as they are taken now (a vault may hold some taken otherwise before: the
    // `(0)` after a country code was once among them).
    let digits = phone.as_deref().and_then(crate::domain::Phone::parse).map(|p| p.digits().to_string());
    let mut compared = false;
    for (a, b) in [
        (email.as_deref(), l.email.as_ref().map(|e| e.as_str())),
        (digits.as_deref(), l.phone.as_ref().map(|p| p.digits())),
    ] {
        if let (Some(a), Some(b)) = (a, b)
            && !a.is_empty()
            && !b.is_empty()
        {
            if a == b {
                return true;
            }
            compared = true;
        }
    }
    !compared
        && (!by_name
            || matches!((name, &l.full_name), (Some(a), Some(b)) if a.to_lowercase() == b.to_lowercase()))
}

/// 16 hex digits of a SHA-256 over what a lead says, for an id of its own when its file's id
/// belongs to someone else.
fn content_digest(l: &NewLead, fields: &str) -> String {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [
        l.full_name.as_deref().unwrap_or(""),
        l.email.as_ref().map(|e| e.as_str()).unwrap_or(""),
        l.phone.as_ref().map(|p| p.as_str()).unwrap_or(""),
        l.company.as_deref().unwrap_or(""),
        fields,
    ] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.finish().as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds the `added` leads inserted after `after_seq` to the search index, in one statement
/// and in the index's rowid order: FTS5 then builds its segments in memory instead of writing
/// one out per row.
fn index_for_search(conn: &rusqlite::Connection, after_seq: i64, added: u64) -> Result<()> {
    if added == 0 {
        return Ok(());
    }
    conn.prepare_cached(new_search_docs(added))?.execute([after_seq])?;
    Ok(())
}

/// The statement that indexes `added` new leads. A few (a sync's page, a small file) are found
/// by `seq` and sorted in memory: `+sort_key` keeps SQLite from walking the sort-key index,
/// which holds every lead of the vault. Many are read from that index, already in order, so
/// a big import is not sorted in memory.
fn new_search_docs(added: u64) -> &'static str {
    /// At most this many new leads are sorted: a few MB of text.
    const SORT_AT_MOST: u64 = 50_000;
    if added <= SORT_AT_MOST {
        "INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes) \
         SELECT sort_key, full_name, email, phone, company, notes FROM lead_search_docs \
         WHERE seq > ? ORDER BY +sort_key"
    } else {
        "INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes) \
         SELECT sort_key, full_name, email, phone, company, notes FROM lead_search_docs \
         WHERE seq > ? ORDER BY sort_key"
    }
}

impl Vault {
    /// Adds new leads in one transaction, searchable when it returns; leads the vault already
    /// has (same source and external id) are left as they are. Returns how many were new.
    pub async fn add_leads(&self, leads: Vec<NewLead>) -> Result<u64> {
        let now = self.clock.now();
        self.with_raw(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut ins = Inserter::new(&tx, now)?;
            for lead in &leads {
                ins.insert(lead)?;
            }
            let added = ins.finish()?;
            tx.commit()?;
            Ok(added)
        })
        .await
    }
}

impl Leads<'_> {
    /// The names of the custom fields (form answers) that leads matching `filter` carry, sorted:
    /// the extra columns of a flat export.
    pub async fn field_names(&self, filter: &LeadFilter) -> Result<Vec<String>> {
        if filter.is_empty() {
            // The whole vault: the store keeps this list as leads come and go.
            return Ok(sqlx::query_scalar("SELECT name FROM lead_field_names WHERE leads > 0 ORDER BY name")
                .fetch_all(&self.vault.pool)
                .await?);
        }
        let mut q =
            Sql::new("SELECT DISTINCT j.key FROM leads l, json_each(l.fields) j WHERE l.fields <> '{}'");
        push_filter(&mut q, filter);
        q.push(" ORDER BY 1");
        Ok(bind!(sqlx::query_scalar::<_, String>(q.text()), q).fetch_all(&self.vault.pool).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::{INSERT_LEAD, RowBatch, new_search_docs};
    use crate::vault::test_vault;

    /// An export copies each text as it is, and refuses one that is not UTF-8 (which no lead's
    /// text is: only a damaged database would hold it) instead of writing it out, even when
    /// the bytes of two cells together would be.
    #[test]
    fn a_batch_keeps_text_as_written_and_refuses_text_that_is_not_utf8() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let push = |batch: &mut RowBatch, sql: &str| {
            let mut stmt = conn.prepare(sql).unwrap();
            let mut rows = stmt.query([]).unwrap();
            batch.push_row(rows.next().unwrap().unwrap()).unwrap();
        };
        let mut batch = RowBatch::new(2, 2);
        push(&mut batch, "SELECT 'Zoë 张伟 ☎', 7");
        push(&mut batch, "SELECT NULL, 'Ana'");
        batch.seal().unwrap();
        let rows: Vec<_> = batch.rows().collect();
        assert_eq!((rows[0].cell(0), rows[0].cell(1)), ("Zoë 张伟 ☎".into(), "7".into()));
        assert_eq!((rows[1].cell(0), rows[1].cell(1)), ("".into(), "Ana".into()));
        // A row pushed after a seal is checked at the next one, after the text sealed before.
        push(&mut batch, "SELECT 'Łódź', 'x'");
        batch.seal().unwrap();
        let rows: Vec<_> = batch.rows().collect();
        assert_eq!(
            (rows[0].cell(0), rows[2].cell(0), rows[2].cell(1)),
            ("Zoë 张伟 ☎".into(), "Łódź".into(), "x".into())
        );

        // "é" cut in two: the first byte ends one cell, the second starts the next.
        for sql in
            ["SELECT CAST(x'5a6fc3' AS TEXT), 1", "SELECT CAST(x'5a6fc3' AS TEXT), CAST(x'a9' AS TEXT)"]
        {
            let mut batch = RowBatch::new(1, 2);
            push(&mut batch, sql);
            let refused = batch.seal().unwrap_err();
            assert!(refused.to_string().contains("not UTF-8"), "{sql}: {refused}");
        }
    }

    /// A change made while another connection holds the write lock (a long import) waits for
    /// it, then goes in: it never fails at once as busy, as a transaction that reads first and
    /// asks for the lock at its first write does.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lead_change_waits_for_the_write_lock() {
        use crate::domain::{LeadStatus, LeadUpdate};
        use crate::{LeadFilter, LeadSort};
        let dir = tempfile::tempdir().unwrap();
        let vault = std::sync::Arc::new(test_vault(dir.path()).await);
        let leads = (0..2)
            .map(|i| {
                crate::import::lead_from_graph(
                    serde_json::json!({"id": format!("{i}"), "created_time": "2026-10-01T09:15:00+0000",
                    "field_data": [{"name": "full_name", "values": [format!("Person {i}")]}]})
                    .as_object()
                    .unwrap(),
                    "meta",
                    chrono::Utc::now(),
                )
                .unwrap()
            })
            .collect();
        vault.add_leads(leads).await.unwrap();
        let id = vault.leads().list(&LeadFilter::default(), LeadSort::Newest, None, 1).await.unwrap().leads
            [0]
        .id
        .clone();
        let holder = vault.raw.open().unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let updating = {
            let vault = vault.clone();
            let change = LeadUpdate { status: Some(LeadStatus::Contacted), ..Default::default() };
            tokio::spawn(async move { vault.leads().update(&id, &change).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        holder.execute_batch("COMMIT").unwrap();
        assert_eq!(updating.await.unwrap().unwrap().lead.status, LeadStatus::Contacted);
    }

    /// A view filtered by source or owner and status reads one index, in order, and its counts
    /// per status read an index alone: never each lead's row for its status.
    #[tokio::test]
    async fn source_or_owner_and_status_read_one_index() {
        use super::{Sql, Walk, push_filter, select_leads};
        use crate::domain::{LeadFilter, LeadStatus};
        let dir = tempfile::tempdir().unwrap();
        let conn = test_vault(dir.path()).await.raw.open().unwrap();
        let plan = |q: &Sql| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", q.as_str())).unwrap();
            let rows =
                stmt.query_map(rusqlite::params_from_iter(q.args()), |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        for (filter, index) in [
            (LeadFilter { source: Some("meta".into()), ..Default::default() }, "leads_by_source_status"),
            (LeadFilter { owner: Some("Maria".into()), ..Default::default() }, "leads_by_owner_status"),
        ] {
            let with_status = LeadFilter { status: Some(LeadStatus::Won), ..filter.clone() };
            let list = plan(&select_leads("l.seq", &with_status, None, Walk::Newest, None, None));
            assert!(list.contains(index) && !list.contains("TEMP B-TREE"), "{list}");
            let mut counts = Sql::new("SELECT l.status, count(*) FROM leads l WHERE 1 = 1");
            push_filter(&mut counts, &filter);
            counts.push(" GROUP BY l.status");
            let counts = plan(&counts);
            assert!(counts.contains(&format!("COVERING INDEX {index}")), "{counts}");
        }
    }

    /// A date range of whole days (or seconds) is counted from the key index, without reading
    /// each lead's creation time from its row (1.5 s for a million leads, against 0.2 s): only a
    /// range finer than the sort key reads it.
    #[tokio::test]
    async fn a_range_of_days_is_counted_from_the_key_index() {
        use super::{Sql, push_filter};
        use crate::domain::LeadFilter;
        let dir = tempfile::tempdir().unwrap();
        let conn = test_vault(dir.path()).await.raw.open().unwrap();
        let plan = |f: &LeadFilter| -> String {
            let mut q = Sql::new("SELECT count(*) FROM leads l WHERE 1 = 1");
            push_filter(&mut q, f);
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", q.as_str())).unwrap();
            let rows =
                stmt.query_map(rusqlite::params_from_iter(q.args()), |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ") + " :: " + q.as_str()
        };
        let day = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        let milli = chrono::Duration::milliseconds(1);
        for f in [
            LeadFilter { since: Some(day), ..Default::default() },
            LeadFilter { until: Some(day), ..Default::default() },
            LeadFilter {
                since: Some(day),
                until: Some(day + chrono::Duration::days(1)),
                ..Default::default()
            },
        ] {
            let p = plan(&f);
            assert!(p.contains("INDEX leads_by_key") && !p.contains("created_at"), "{p}");
        }
        for f in [
            LeadFilter { since: Some(day + milli), ..Default::default() },
            LeadFilter { until: Some(day - milli), ..Default::default() },
        ] {
            let p = plan(&f);
            assert!(p.contains("INDEX leads_by_key") && p.contains("created_at"), "{p}");
        }
    }

    /// Sorted by score, a search or a date range reads a page at a time: the scored leads from
    /// the score index, the unscored as the newest-first sort reads them; never every match
    /// sorted (seconds per page at a million leads).
    #[tokio::test]
    async fn a_view_sorted_by_score_reads_indexes_in_order() {
        use super::{Walk, select_leads};
        use crate::domain::LeadFilter;
        let dir = tempfile::tempdir().unwrap();
        let conn = test_vault(dir.path()).await.raw.open().unwrap();
        let plan = |f: &LeadFilter, walk: Walk| -> String {
            let q = select_leads("l.seq", f, None, walk, None, None);
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", q.as_str())).unwrap();
            let rows =
                stmt.query_map(rusqlite::params_from_iter(q.args()), |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let day = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        for filter in [
            LeadFilter::default(),
            LeadFilter { search: Some("ma".into()), ..Default::default() },
            LeadFilter { since: Some(day), ..Default::default() },
            LeadFilter { search: Some("ma".into()), since: Some(day), ..Default::default() },
        ] {
            let scored = plan(&filter, Walk::Scored);
            assert!(
                scored.contains("leads_by_score") && !scored.contains("TEMP B-TREE"),
                "{filter:?}: {scored}"
            );
            let unscored = plan(&filter, Walk::Unscored);
            assert!(!unscored.contains("TEMP B-TREE"), "{filter:?}: {unscored}");
        }
    }

    /// The score sort: highest first, unscored last, equal scores newest first; paged in any
    /// size (across the two parts) it is the same leads in the same order as read whole.
    #[tokio::test]
    async fn score_pages_are_the_whole_score_sort_in_order() {
        use futures_util::TryStreamExt;

        use crate::domain::{Lead, LeadFilter, LeadSort, LeadStatus, LeadUpdate};
        let dir = tempfile::tempdir().unwrap();
        let vault = test_vault(dir.path()).await;
        crate::samples::load_samples(&vault, 120, |_| {}).await.unwrap();
        // Every third lead scored, in five values (so scores tie), some marked won.
        let conn = vault.raw.open().unwrap();
        conn.execute_batch("UPDATE leads SET score = (seq * 7) % 5 * 10 WHERE seq % 3 = 0").unwrap();
        let newest: Vec<Lead> =
            vault.leads().stream(&LeadFilter::default(), LeadSort::Newest).try_collect().await.unwrap();
        for lead in newest.iter().step_by(4) {
            let won = LeadUpdate { status: Some(LeadStatus::Won), ..Default::default() };
            vault.leads().update(&lead.id, &won).await.unwrap();
        }
        let middle = newest[newest.len() / 2].created_at;
        let filters = [
            LeadFilter::default(),
            LeadFilter { search: Some("a".into()), ..Default::default() },
            LeadFilter { search: Some("example".into()), ..Default::default() },
            LeadFilter { since: Some(middle), ..Default::default() },
            LeadFilter { until: Some(middle), status: Some(LeadStatus::Won), ..Default::default() },
            LeadFilter { search: Some("nobody-has-this".into()), ..Default::default() },
        ];
        for filter in &filters {
            // Expected, made without the score sort: the view newest first, then a stable sort
            // by score, highest first, the unscored last.
            let mut expected: Vec<Lead> =
                vault.leads().stream(filter, LeadSort::Newest).try_collect().await.unwrap();
            expected.sort_by_key(|l| std::cmp::Reverse(l.score.map(|s| s + 1).unwrap_or(0)));
            let expected: Vec<String> = expected.into_iter().map(|l| l.id).collect();
            assert!(filter.search.is_some() || expected.len() > 10, "{filter:?}");
            let whole: Vec<String> = vault
                .leads()
                .stream(filter, LeadSort::ScoreHigh)
                .map_ok(|l| l.id)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(whole, expected, "{filter:?}: read whole");
            for size in [1, 4, 7, 500] {
                let mut paged = Vec::new();
                let mut after: Option<super::Cursor> = None;
                loop {
                    let page =
                        vault.leads().list(filter, LeadSort::ScoreHigh, after.as_ref(), size).await.unwrap();
                    paged.extend(page.leads.into_iter().map(|l| l.id));
                    match page.next {
                        Some(c) => after = Some(super::Cursor::decode(&c.encode()).unwrap()),
                        None => break,
                    }
                }
                assert_eq!(paged, expected, "{filter:?}: pages of {size}");
            }
        }
    }

    /// A lead filed when its phone's digits were taken otherwise (the `(0)` after a country
    /// code among them) is still the same person as its row imported again.
    #[tokio::test]
    async fn a_phone_filed_under_older_digits_is_still_the_same_person() {
        use crate::import::{ImportOptions, import_file};
        let dir = tempfile::tempdir().unwrap();
        let vault = test_vault(dir.path()).await;
        let file = dir.path().join("leads.csv");
        std::fs::write(&file, "id,name,phone\n7,Jo Berg,+49 (0)30 1234567\n").unwrap();
        let first = import_file(&vault, &file, &ImportOptions::default(), |_| {}).await.unwrap();
        assert_eq!(first.added, 1);
        vault.raw.open().unwrap().execute_batch("UPDATE leads SET phone_digits = '490301234567'").unwrap();
        let again = import_file(&vault, &file, &ImportOptions::default(), |_| {}).await.unwrap();
        assert_eq!((again.added, again.unchanged), (0, 1));
    }

    /// A sync's page of leads must not cost a walk over every lead of a big vault.
    #[tokio::test]
    async fn a_few_new_leads_are_indexed_by_seq_and_many_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let conn = test_vault(dir.path()).await.raw.open().unwrap();
        let plan = |added: u64| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", new_search_docs(added))).unwrap();
            let rows = stmt.query_map([0], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let few = plan(200);
        assert!(few.contains("INTEGER PRIMARY KEY") && !few.contains("leads_by_key"), "{few}");
        let many = plan(1_000_000);
        // The one sort allowed is of a lead's own characters, when its text is cut for the
        // index (migration 0016), never of the leads.
        let sorts = many.replace("USE TEMP B-TREE FOR group_concat(ORDER BY)", "");
        assert!(many.contains("leads_by_key") && !sorts.contains("TEMP B-TREE"), "{many}");
    }

    /// A trigger on inserting a lead would make every row of an import keep a statement
    /// journal (migration 0012): the insert runs no sub-program.
    #[tokio::test]
    async fn inserting_a_lead_fires_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let conn = test_vault(dir.path()).await.raw.open().unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN {INSERT_LEAD}")).unwrap();
        // EXPLAIN needs no values: `raw_query` runs it with the parameters left unbound.
        let mut rows = stmt.raw_query();
        let mut ops = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            ops.push(row.get::<_, String>(1).unwrap());
        }
        assert!(ops.iter().any(|op| op == "Insert"), "{ops:?}");
        assert!(!ops.iter().any(|op| op == "Program"), "the insert runs a trigger: {ops:?}");
    }
}
