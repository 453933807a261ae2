//! Leads in the vault: keyset-paged lists, search, detail, changes with a timeline.

use chrono::{DateTime, TimeZone, Utc};
use futures_util::{Stream, StreamExt};
use serde_json::{Map, Value, json};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tracing::info;

use crate::domain::{
    AdOrigin, Lead, LeadDetail, LeadFilter, LeadSort, LeadStatus, LeadUpdate, NewLead, Note, TimelineEvent,
    normalize_tag,
};
use crate::error::{Error, Result};
use crate::store::search::fts_query;
use crate::vault::Vault;

/// The columns every lead query reads, in the order [`lead_from_row`] expects.
const LEAD_COLUMNS: &str = "l.seq, l.id, l.source, l.external_id, l.created_at, l.updated_at, \
    l.full_name, l.email, l.phone, l.company, l.status, l.owner, l.score, \
    l.ad_id, l.ad_name, l.adset_id, l.adset_name, l.campaign_id, l.campaign_name, \
    l.form_id, l.form_name, l.platform, l.is_organic, l.fields, \
    (SELECT group_concat(tag, ',') FROM (SELECT tag FROM lead_tags t WHERE t.lead_seq = l.seq ORDER BY tag)) AS tags";

/// Where the next page starts: the sort key and row of the last lead shown. Opaque to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    key: Option<i64>,
    seq: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self.key {
            Some(k) => format!("{k}.{}", self.seq),
            None => format!("n.{}", self.seq),
        }
    }

    pub fn decode(s: &str) -> Result<Cursor> {
        let bad = || Error::invalid("that page cursor is not valid; start again from the first page");
        let (k, seq) = s.split_once('.').ok_or_else(bad)?;
        let key = if k == "n" { None } else { Some(k.parse().map_err(|_| bad())?) };
        Ok(Cursor { key, seq: seq.parse().map_err(|_| bad())? })
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
    /// possible), then read those rows whole.
    pub async fn list(
        &self,
        filter: &LeadFilter,
        sort: LeadSort,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Page> {
        let limit = limit.clamp(1, 10_000);
        let mut conn = self.vault.pool.acquire().await?;
        let plan = SearchPlan::choose(&mut conn, filter, sort).await?;
        let mut q = select_leads("l.seq", filter, sort, after, plan);
        q.push(" LIMIT ").push_bind(i64::from(limit));
        let seqs: Vec<i64> = q.build_query_scalar().fetch_all(&mut *conn).await?;
        let mut rows = hydrate(&mut conn, &seqs).await?;
        let leads: Vec<Lead> = seqs.iter().filter_map(|seq| rows.remove(seq)).collect();
        let next = match (leads.len() == limit as usize, seqs.last(), leads.last()) {
            (true, Some(&seq), Some(lead)) => Some(Cursor { key: sort_key(sort, lead), seq }),
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
        let mut q = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM leads l WHERE 1 = 1");
        push_filter(&mut q, filter);
        Ok(q.build_query_scalar::<i64>().fetch_one(&self.vault.pool).await?)
    }

    /// Lead counts per status for `filter` (its own status part ignored), every status listed.
    pub async fn count_by_status(&self, filter: &LeadFilter) -> Result<Vec<(LeadStatus, i64)>> {
        let filter = LeadFilter { status: None, ..filter.clone() };
        let mut q = QueryBuilder::<Sqlite>::new("SELECT l.status, count(*) FROM leads l WHERE 1 = 1");
        push_filter(&mut q, &filter);
        q.push(" GROUP BY l.status");
        let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&self.vault.pool).await?;
        Ok(LeadStatus::ALL
            .into_iter()
            .map(|s| (s, rows.iter().find(|(n, _)| n == s.as_str()).map_or(0, |(_, c)| *c)))
            .collect())
    }

    /// A lead with its notes and timeline.
    pub async fn get(&self, id: &str) -> Result<LeadDetail> {
        let mut conn = self.vault.pool.acquire().await?;
        get_detail(&mut conn, id).await
    }

    /// Applies `change` to one lead; every part that changes something adds a timeline event.
    pub async fn update(&self, id: &str, change: &LeadUpdate) -> Result<LeadDetail> {
        if change.is_empty() {
            return Err(Error::invalid(
                "nothing to change: give --status, --owner, --add-tag, --remove-tag or --note",
            ));
        }
        let add_tags = change.add_tags.iter().map(|t| normalize_tag(t)).collect::<Result<Vec<_>>>()?;
        let remove_tags = change.remove_tags.iter().map(|t| normalize_tag(t)).collect::<Result<Vec<_>>>()?;
        if let Some(note) = &change.note
            && note.trim().is_empty()
        {
            return Err(Error::invalid("the note is empty; write something to add"));
        }
        let now = self.vault.clock.now().timestamp_millis();
        let mut tx = self.vault.pool.begin().await?;
        let current: Option<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT seq, status, owner FROM leads WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((seq, status, owner)) = current else {
            return Err(Error::LeadNotFound { id: id.to_string() });
        };
        let mut events: Vec<(&str, Value)> = Vec::new();
        if let Some(new) = change.status
            && new.as_str() != status
        {
            sqlx::query("UPDATE leads SET status = ? WHERE seq = ?")
                .bind(new.as_str())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            events.push(("status", json!({"from": status, "to": new.as_str()})));
        }
        if let Some(new_owner) = &change.owner {
            let new_owner = new_owner.as_deref().map(str::trim).filter(|o| !o.is_empty());
            if new_owner != owner.as_deref() {
                sqlx::query("UPDATE leads SET owner = ? WHERE seq = ?")
                    .bind(new_owner)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                events.push(("owner", json!({"from": owner, "to": new_owner})));
            }
        }
        for tag in &add_tags {
            let done = sqlx::query("INSERT OR IGNORE INTO lead_tags (lead_seq, tag) VALUES (?, ?)")
                .bind(seq)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() > 0 {
                events.push(("tag_added", json!({"tag": tag})));
            }
        }
        for tag in &remove_tags {
            let done = sqlx::query("DELETE FROM lead_tags WHERE lead_seq = ? AND tag = ?")
                .bind(seq)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() > 0 {
                events.push(("tag_removed", json!({"tag": tag})));
            }
        }
        if let Some(note) = &change.note {
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
        let detail = get_detail(&mut tx, id).await?;
        tx.commit().await?;
        info!(lead = id, changes = events.len(), "lead updated");
        Ok(detail)
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
        let mut q = select_leads(LEAD_COLUMNS, &filter, sort, None, SearchPlan::FromIndex);
        let mut rows = q.build().fetch(&pool);
        let mut batch = Vec::with_capacity(BATCH);
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
        if !batch.is_empty() {
            let _ = tx.send(batch).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) })
        .flat_map(futures_util::stream::iter)
}

fn sort_key(sort: LeadSort, lead: &Lead) -> Option<i64> {
    match sort {
        LeadSort::Newest | LeadSort::Oldest => Some(lead.created_at.timestamp_millis()),
        LeadSort::ScoreHigh => lead.score,
    }
}

/// `SELECT <columns> FROM leads WHERE <filter> [AND after cursor] ORDER BY <sort>`.
fn select_leads(
    columns: &str,
    filter: &LeadFilter,
    sort: LeadSort,
    after: Option<&Cursor>,
    plan: SearchPlan,
) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {columns} FROM leads l WHERE 1 = 1"));
    push_filter_with(&mut q, filter, plan);
    if let Some(c) = after {
        match (sort, c.key) {
            (LeadSort::Newest, Some(k)) => {
                q.push(" AND l.created_at <= ").push_bind(k);
                q.push(" AND (l.created_at < ").push_bind(k).push(" OR l.seq < ").push_bind(c.seq).push(")");
            }
            (LeadSort::Oldest, Some(k)) => {
                q.push(" AND l.created_at >= ").push_bind(k);
                q.push(" AND (l.created_at > ").push_bind(k).push(" OR l.seq > ").push_bind(c.seq).push(")");
            }
            (LeadSort::ScoreHigh, Some(k)) => {
                q.push(" AND (l.score < ")
                    .push_bind(k)
                    .push(" OR l.score IS NULL OR (l.score = ")
                    .push_bind(k);
                q.push(" AND l.seq < ").push_bind(c.seq).push("))");
            }
            (_, None) => {
                q.push(" AND l.score IS NULL AND l.seq < ").push_bind(c.seq);
            }
        }
    }
    q.push(match sort {
        LeadSort::Newest => " ORDER BY l.created_at DESC, l.seq DESC",
        LeadSort::Oldest => " ORDER BY l.created_at ASC, l.seq ASC",
        LeadSort::ScoreHigh => " ORDER BY l.score DESC, l.seq DESC",
    });
    q
}

pub(crate) fn push_filter(q: &mut QueryBuilder<Sqlite>, f: &LeadFilter) {
    push_filter_with(q, f, SearchPlan::FromIndex)
}

/// How a search is joined to the other conditions. Which is fastest depends on how many leads
/// match, so [`SearchPlan::choose`] counts them (up to a bound) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchPlan {
    /// Read the matches from the index, then sort them: best when few leads match.
    FromIndex,
    /// Walk the leads in list order and keep those in the set of matches: best when many do.
    /// (Asking the index about each row instead is slower: FTS5 rebuilds a prefix term's list
    /// for every question.)
    WalkInSet,
}

impl SearchPlan {
    /// Up to this many matches, sorting them beats walking the list.
    const FEW: i64 = 2_000;

    async fn choose(conn: &mut SqliteConnection, filter: &LeadFilter, sort: LeadSort) -> Result<SearchPlan> {
        let Some(m) = filter.search.as_deref().and_then(fts_query) else {
            return Ok(SearchPlan::FromIndex);
        };
        if sort == LeadSort::ScoreHigh {
            return Ok(SearchPlan::FromIndex);
        }
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT 1 FROM leads_fts WHERE leads_fts MATCH ? LIMIT ?)",
        )
        .bind(m)
        .bind(Self::FEW + 1)
        .fetch_one(&mut *conn)
        .await?;
        Ok(if n <= Self::FEW { SearchPlan::FromIndex } else { SearchPlan::WalkInSet })
    }
}

fn push_filter_with(q: &mut QueryBuilder<Sqlite>, f: &LeadFilter, plan: SearchPlan) {
    if let Some(text) = f.search.as_deref() {
        match fts_query(text) {
            // `+l.seq` keeps SQLite from driving the query from the set of matches.
            Some(m) if plan == SearchPlan::WalkInSet => {
                q.push(" AND +l.seq IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ")
                    .push_bind(m)
                    .push(")");
            }
            Some(m) => {
                q.push(" AND l.seq IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ")
                    .push_bind(m)
                    .push(")");
            }
            // Nothing searchable (only punctuation): nothing matches, as in any search box.
            None if !text.trim().is_empty() => {
                q.push(" AND 0");
            }
            None => {}
        }
    }
    if let Some(s) = f.status {
        q.push(" AND l.status = ").push_bind(s.as_str());
    }
    if let Some(s) = &f.source {
        q.push(" AND l.source = ").push_bind(s.clone());
    }
    if let Some(o) = &f.owner {
        q.push(" AND l.owner = ").push_bind(o.clone());
    }
    if let Some(t) = &f.tag {
        let t = t.trim().to_lowercase();
        q.push(" AND l.seq IN (SELECT lead_seq FROM lead_tags WHERE tag = ").push_bind(t).push(")");
    }
    if let Some(d) = f.since {
        q.push(" AND l.created_at >= ").push_bind(d.timestamp_millis());
    }
    if let Some(d) = f.until {
        q.push(" AND l.created_at < ").push_bind(d.timestamp_millis());
    }
}

pub(crate) fn millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Reads the leads with these `seq`s whole, keyed by `seq`.
async fn hydrate(conn: &mut SqliteConnection, seqs: &[i64]) -> Result<std::collections::HashMap<i64, Lead>> {
    if seqs.is_empty() {
        return Ok(Default::default());
    }
    let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.seq IN "));
    q.push_tuples(seqs, |mut b, seq| {
        b.push_bind(*seq);
    });
    let rows = q.build().fetch_all(&mut *conn).await?;
    rows.iter().map(lead_from_row).collect()
}

fn lead_from_row(row: &SqliteRow) -> Result<(i64, Lead)> {
    let status: String = row.try_get(10)?;
    let fields: String = row.try_get(23)?;
    let fields: Map<String, Value> = serde_json::from_str(&fields).unwrap_or_default();
    let tags: Option<String> = row.try_get(24)?;
    let lead = Lead {
        id: row.try_get(1)?,
        source: row.try_get(2)?,
        external_id: row.try_get(3)?,
        created_at: millis(row.try_get(4)?),
        updated_at: millis(row.try_get(5)?),
        full_name: row.try_get(6)?,
        email: row.try_get(7)?,
        phone: row.try_get(8)?,
        company: row.try_get(9)?,
        status: status.parse().unwrap_or_default(),
        owner: row.try_get(11)?,
        tags: tags.map(|t| t.split(',').map(str::to_string).collect()).unwrap_or_default(),
        score: row.try_get(12)?,
        ad: AdOrigin {
            ad_id: row.try_get(13)?,
            ad_name: row.try_get(14)?,
            adset_id: row.try_get(15)?,
            adset_name: row.try_get(16)?,
            campaign_id: row.try_get(17)?,
            campaign_name: row.try_get(18)?,
            form_id: row.try_get(19)?,
            form_name: row.try_get(20)?,
            platform: row.try_get(21)?,
            is_organic: row.try_get::<Option<i64>, _>(22)?.map(|v| v != 0),
        },
        fields,
    };
    Ok((row.try_get(0)?, lead))
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

/// Rows per INSERT statement: 25 values each, well under SQLite's 32,766 variables.
pub(crate) const INSERT_BATCH: usize = 500;

/// The newest row so far; leads inserted after this call get higher `seq`s.
pub(crate) async fn last_seq(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM leads").fetch_one(&mut *conn).await?)
}

/// Adds the leads inserted after `after_seq` to the search index, in one statement: FTS5 then
/// builds its segments in memory instead of flushing once per insert statement.
pub(crate) async fn index_for_search(conn: &mut SqliteConnection, after_seq: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes) \
         SELECT * FROM lead_search_docs WHERE seq > ?",
    )
    .bind(after_seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a batch of new leads; a lead whose (source, external id) is already in the vault is
/// left as it is. Returns how many were added. Call inside a transaction that ends with
/// [`index_for_search`], so the new leads are searchable when it commits.
pub(crate) async fn insert_batch(
    conn: &mut SqliteConnection,
    leads: &[NewLead],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut added = 0;
    for chunk in leads.chunks(INSERT_BATCH) {
        let now = now.timestamp_millis();
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO leads (id, source, external_id, created_at, added_at, updated_at, \
             full_name, email, phone, phone_digits, company, status, owner, \
             ad_id, ad_name, adset_id, adset_name, campaign_id, campaign_name, form_id, form_name, \
             platform, is_organic, fields, fingerprint) ",
        );
        q.push_values(chunk, |mut b, l| {
            b.push_bind(ulid::Ulid::generate().to_string())
                .push_bind(l.source.clone())
                .push_bind(l.external_id.clone())
                .push_bind(l.created_at.timestamp_millis())
                .push_bind(now)
                .push_bind(now)
                .push_bind(l.full_name.clone())
                .push_bind(l.email.as_ref().map(|e| e.as_str().to_string()))
                .push_bind(l.phone.as_ref().map(|p| p.as_str().to_string()))
                .push_bind(l.phone.as_ref().map(|p| p.digits().to_string()))
                .push_bind(l.company.clone())
                .push_bind(l.status.as_str())
                .push_bind(l.owner.clone())
                .push_bind(l.ad.ad_id.clone())
                .push_bind(l.ad.ad_name.clone())
                .push_bind(l.ad.adset_id.clone())
                .push_bind(l.ad.adset_name.clone())
                .push_bind(l.ad.campaign_id.clone())
                .push_bind(l.ad.campaign_name.clone())
                .push_bind(l.ad.form_id.clone())
                .push_bind(l.ad.form_name.clone())
                .push_bind(l.ad.platform.clone())
                .push_bind(l.ad.is_organic.map(i64::from))
                .push_bind(serde_json::to_string(&l.fields).unwrap_or_else(|_| "{}".into()))
                .push_bind(l.fingerprint().map(|f| f.0.to_vec()));
        });
        q.push(" ON CONFLICT (source, external_id) DO NOTHING");
        let has_tags = chunk.iter().any(|l| !l.tags.is_empty());
        if has_tags {
            q.push(" RETURNING external_id, seq");
            let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
            added += rows.len() as u64;
            for (ext, seq) in rows {
                let Some(lead) = chunk.iter().find(|l| l.external_id == ext) else { continue };
                for tag in &lead.tags {
                    sqlx::query("INSERT OR IGNORE INTO lead_tags (lead_seq, tag) VALUES (?, ?)")
                        .bind(seq)
                        .bind(tag)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        } else {
            added += q.build().execute(&mut *conn).await?.rows_affected();
        }
    }
    Ok(added)
}

impl Leads<'_> {
    /// The names of the custom fields (form answers) that leads matching `filter` carry, sorted:
    /// the extra columns of a flat export.
    pub async fn field_names(&self, filter: &LeadFilter) -> Result<Vec<String>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT DISTINCT j.key FROM leads l, json_each(l.fields) j WHERE l.fields <> '{}'",
        );
        push_filter(&mut q, filter);
        q.push(" ORDER BY 1");
        Ok(q.build_query_scalar::<String>().fetch_all(&self.vault.pool).await?)
    }
}
