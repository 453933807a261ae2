//! How results look on a terminal, and as JSON for scripts.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use leadvault_core::error::Error;
use leadvault_core::import::ImportReport;
use leadvault_core::{Lead, LeadDetail, LeadFilter, LeadSort, Vault, VaultStatus};

pub fn status(s: &VaultStatus, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    println!("path:            {}", s.path.display());
    println!("size:            {}", human_bytes(s.size_bytes));
    println!("leads:           {}", s.leads);
    println!("key source:      {}", s.key_source.as_str());
    println!("schema version:  {}", s.schema_version);
    println!("encryption:      SQLCipher {}", s.sqlcipher_version);
}

pub fn import_report(r: &ImportReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string(r).unwrap_or_default());
        return;
    }
    println!(
        "Read {} rows as {} (source {:?}): {} new, {} already in the vault, {} rejected",
        r.read,
        r.format.name(),
        r.source,
        r.added,
        r.unchanged,
        r.rejected
    );
    if let Some(f) = &r.rejects_file {
        println!("Rejected rows, with the reason for each: {}", f.display());
    }
}

/// Lists leads: up to `limit` by pages from the store, or all of them (`limit` 0) streamed.
pub async fn list(
    vault: &Vault,
    filter: &LeadFilter,
    sort: LeadSort,
    limit: u64,
    json: bool,
) -> Result<(), Error> {
    let leads = vault.leads();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0u64;
    let mut print = |out: &mut std::io::BufWriter<_>, lead: &Lead| {
        if json {
            let _ = out.write_all(if shown == 0 { b"\n" } else { b",\n" });
            let _ = serde_json::to_writer(&mut *out, lead);
        } else {
            let _ = writeln!(out, "{}", row(lead));
        }
        shown += 1;
    };
    if json {
        let _ = out.write_all(b"[");
    } else {
        let _ = writeln!(out, "{HEADER}");
    }
    if limit == 0 {
        let mut stream = std::pin::pin!(leads.stream(filter, sort));
        while let Some(lead) = stream.next().await {
            print(&mut out, &lead?);
        }
    } else {
        let mut cursor = None;
        let mut left = limit;
        loop {
            let page = leads.list(filter, sort, cursor.as_ref(), left.min(1000) as u32).await?;
            for lead in &page.leads {
                print(&mut out, lead);
            }
            left -= page.leads.len() as u64;
            match page.next {
                Some(next) if left > 0 => cursor = Some(next),
                _ => break,
            }
        }
    }
    if json {
        let _ = out.write_all(b"\n]\n");
    }
    let _ = out.flush();
    drop(out);
    if !json && limit != 0 && shown == limit {
        let total = leads.count(filter).await?;
        if total > shown as i64 {
            eprintln!("Showing {shown} of {total} leads; use --limit N (0 for all) or narrow the filters.");
        }
    }
    Ok(())
}

/// The column titles, aligned with [`row`].
const HEADER: &str = "ID                          CREATED           STATUS     NAME                      EMAIL                           PHONE             SOURCE";

fn row(l: &Lead) -> String {
    format!(
        "{:<26}  {:<16}  {:<9}  {:<24}  {:<30}  {:<16}  {}",
        l.id,
        l.created_at.format("%Y-%m-%d %H:%M"),
        l.status.as_str(),
        cut(l.full_name.as_deref().unwrap_or(""), 24),
        cut(l.email.as_deref().unwrap_or(""), 30),
        cut(l.phone.as_deref().unwrap_or(""), 16),
        l.source
    )
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

pub fn detail(d: &LeadDetail, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(d).unwrap_or_default());
        return;
    }
    let l = &d.lead;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    println!("{}  {}", l.id, l.full_name.as_deref().unwrap_or("(no name)"));
    println!("  status:    {}", l.status);
    println!("  email:     {}", opt(&l.email));
    println!("  phone:     {}", opt(&l.phone));
    println!("  company:   {}", opt(&l.company));
    println!("  owner:     {}", opt(&l.owner));
    println!("  tags:      {}", if l.tags.is_empty() { "-".into() } else { l.tags.join(", ") });
    println!("  source:    {} ({})", l.source, l.external_id);
    println!("  created:   {}", l.created_at.to_rfc3339());
    if l.ad.campaign_name.is_some() || l.ad.form_name.is_some() {
        println!("  campaign:  {}", opt(&l.ad.campaign_name));
        println!("  ad:        {}", opt(&l.ad.ad_name));
        println!("  form:      {}", opt(&l.ad.form_name));
    }
    if !l.fields.is_empty() {
        println!("  answers:");
        for (k, v) in &l.fields {
            println!("    {k}: {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
    }
    if !d.notes.is_empty() {
        println!("  notes:");
        for n in &d.notes {
            println!("    {}  {}", n.at.format("%Y-%m-%d %H:%M"), n.body);
        }
    }
    println!("  timeline:");
    for e in &d.timeline {
        let detail = if e.detail.as_object().is_some_and(|o| o.is_empty()) {
            String::new()
        } else {
            e.detail.to_string()
        };
        println!("    {}  {:<12} {}", e.at.format("%Y-%m-%d %H:%M"), e.kind, detail);
    }
}

/// "1 lead", "2 leads".
pub fn leads(n: u64) -> String {
    if n == 1 { "1 lead".into() } else { format!("{n} leads") }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// A one-line counter on stderr for long work, shown only on a terminal.
pub struct Progress {
    verb: &'static str,
    start: Instant,
    last: AtomicU64,
    tty: bool,
}

impl Progress {
    pub fn new(verb: &'static str) -> Progress {
        Progress {
            verb,
            start: Instant::now(),
            last: AtomicU64::new(0),
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn tick(&self, n: u64) {
        let ms = self.start.elapsed().as_millis() as u64;
        if self.tty && ms.saturating_sub(self.last.swap(ms, Ordering::Relaxed)) >= 200 {
            eprint!("\r{} {} leads …", self.verb, n);
        }
    }

    pub fn done(&self) {
        if self.tty && self.last.load(Ordering::Relaxed) > 0 {
            eprint!("\r\x1b[K");
        }
    }
}
