//! How results look on a terminal, and as JSON for scripts.
//!
//! Every result goes to standard output through [`outln!`] (or, for long lists, a buffer whose
//! errors are mapped the same way): a write that fails is an error, never a panic. When the
//! reader went away (`leadvault leads list | head`) the command stops and exits successfully,
//! as Unix tools do ([`is_closed`]); any other failure (a full disk) is a one-line error.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use futures_util::StreamExt;
use leadvault_core::error::Error;
use leadvault_core::import::{ImportProgress, ImportReport};
use leadvault_core::{Lead, LeadDetail, LeadFilter, LeadSort, LeadUpdate, Vault, VaultStatus};

/// How a failed write to standard output names it.
const STDOUT: &str = "standard output";

/// `println!` for a command's results: `Ok`, or the [`write_error`] to stop with (`?`).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// `eprintln!` that never panics: messages to a standard error that was closed
/// (`2>&-`) or is full are dropped, and the exit code still says how the command went.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write_error_line(format_args!($($arg)*))
    };
}
pub(crate) use errln;

/// Writes one line to standard error, ignoring a failure: there is nowhere left to report it.
pub fn write_error_line(line: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

/// Writes one line to standard output, at once.
pub fn write_line(line: std::fmt::Arguments) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).map_err(write_error)
}

/// How to call `leadvault` again for the same vault, as the hints print it (`Next: … import
/// FILE`, `create one with … init`): with the `--data-dir` and `--passphrase-env` typed on this
/// command line, so a hint run as printed reaches this vault, not the one in the usual folder.
static INVOCATION: OnceLock<String> = OnceLock::new();

/// Records what [`me`] prints: the options of `args` (the process's arguments) that choose the
/// vault and its key, as typed, `data_dir` and `passphrase_env` being their parsed values.
pub fn remember_invocation(
    args: &[std::ffi::OsString],
    data_dir: Option<&Path>,
    passphrase_env: Option<&str>,
) {
    let typed = |flag: &str| {
        args.iter()
            .skip(1)
            .map(|a| a.to_string_lossy())
            .take_while(|a| a != "--")
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut me = String::from("leadvault");
    if let Some(dir) = data_dir.filter(|_| typed("--data-dir")) {
        me.push_str(" --data-dir ");
        me.push_str(&shell_word(&dir.to_string_lossy()));
    }
    if let Some(var) = passphrase_env.filter(|_| typed("--passphrase-env")) {
        me.push_str(" --passphrase-env ");
        me.push_str(&shell_word(var));
    }
    let _ = INVOCATION.set(me);
}

/// `leadvault`, with the options that chose this vault (see [`remember_invocation`]).
pub fn me() -> &'static str {
    INVOCATION.get().map_or("leadvault", String::as_str)
}

/// `word` as a shell reads it back: as it is when it holds nothing a shell treats specially,
/// else in single quotes. Control characters are shown as escapes, as in a lead's text.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", safe(word).replace('\'', "'\\''"))
}

/// A failed write to standard output.
pub fn write_error(e: std::io::Error) -> Error {
    Error::Io { action: "write", path: STDOUT.into(), source: e }
}

/// Whether `e` is a failed write to standard output.
pub fn is_output_error(e: &Error) -> bool {
    matches!(e, Error::Io { action: "write", path, .. } if path == Path::new(STDOUT))
}

/// Whether `e` says standard output was closed by its reader: the command ends quietly.
pub fn is_closed(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if is_output_error(e) && source.kind() == std::io::ErrorKind::BrokenPipe)
}

pub fn status(s: &VaultStatus, json: bool) -> Result<(), Error> {
    if json {
        return outln!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
    }
    outln!("path:            {}", s.path.display())?;
    outln!("size:            {}", human_bytes(s.size_bytes))?;
    outln!("leads:           {}", s.leads)?;
    outln!("key source:      {}", s.key_source.as_str())?;
    outln!("schema version:  {}", s.schema_version)?;
    outln!("encryption:      SQLCipher {}", s.sqlcipher_version)
}

pub fn import_report(r: &ImportReport, json: bool) -> Result<(), Error> {
    if json {
        return outln!("{}", serde_json::to_string(r).unwrap_or_default());
    }
    let source = if r.sources_from_file {
        format!("each row's source as exported, {:?} where none", r.source)
    } else {
        format!("source {:?}", r.source)
    };
    outln!(
        "Read {} as {} ({source}): {} new, {} already in the vault, {} rejected",
        count(r.read, "row", "rows"),
        r.format.name(),
        r.added,
        r.unchanged,
        r.rejected
    )?;
    if let Some(f) = &r.rejects_file {
        outln!("Rejected rows, with the reason for each: {}", f.display())?;
    }
    Ok(())
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
    let mut print = |out: &mut std::io::BufWriter<_>, lead: &Lead| -> Result<(), Error> {
        if json {
            out.write_all(if shown == 0 { b"\n" } else { b",\n" }).map_err(write_error)?;
            serde_json::to_writer(&mut *out, lead).map_err(|e| write_error(e.into()))?;
        } else {
            writeln!(out, "{}", row(lead)).map_err(write_error)?;
        }
        shown += 1;
        Ok(())
    };
    if json {
        out.write_all(b"[").map_err(write_error)?;
    } else {
        writeln!(out, "{HEADER}").map_err(write_error)?;
    }
    if limit == 0 {
        let mut stream = std::pin::pin!(leads.stream(filter, sort));
        while let Some(lead) = stream.next().await {
            print(&mut out, &lead?)?;
        }
    } else {
        let mut cursor = None;
        let mut left = limit;
        loop {
            let page = leads.list(filter, sort, cursor.as_ref(), left.min(1000) as u32).await?;
            for lead in &page.leads {
                print(&mut out, lead)?;
            }
            left -= page.leads.len() as u64;
            match page.next {
                Some(next) if left > 0 => cursor = Some(next),
                _ => break,
            }
        }
    }
    if json {
        out.write_all(b"\n]\n").map_err(write_error)?;
    }
    out.flush().map_err(write_error)?;
    drop(out);
    // Beside the bare header, say that none matched (`--json` stays `[]`).
    if !json && shown == 0 {
        let LeadFilter { search, status, source, tag, owner, since, until } = filter;
        let filtered = search.is_some()
            || status.is_some()
            || source.is_some()
            || tag.is_some()
            || owner.is_some()
            || since.is_some()
            || until.is_some();
        match filtered {
            true => errln!("No leads match these filters; loosen or remove some of them."),
            false => errln!("The vault has no leads yet; add some with `{} import FILE`.", me()),
        }
    }
    if !json && limit != 0 && shown == limit {
        let total = leads.count(filter).await?;
        if total > shown as i64 {
            errln!("Showing {shown} of {total} leads; use --limit N (0 for all) or narrow the filters.");
        }
    }
    Ok(())
}

/// The column titles, aligned with [`row`].
const HEADER: &str = "ID                          CREATED           STATUS     NAME                      EMAIL                           PHONE             SOURCE";

fn row(l: &Lead) -> String {
    format!(
        "{:<26}  {:<16}  {:<9}  {}  {}  {}  {}",
        l.id,
        local(l.created_at).format("%Y-%m-%d %H:%M"),
        l.status.as_str(),
        fit(&safe(l.full_name.as_deref().unwrap_or("")), 24),
        fit(&safe(l.email.as_deref().unwrap_or("")), 30),
        fit(&safe(l.phone.as_deref().unwrap_or("")), 16),
        safe(&l.source)
    )
}

/// Text from a lead as a terminal may show it: control characters (C0, DEL, C1), which a
/// terminal would act on (colours, a window title, clearing the screen), written as escapes
/// (`\n`, `\t`, `\r`, `\x1b`, `\x9b`), and so are the invisible marks that reorder text
/// right to left (`\u{202e}`), which would make a row read as something else. JSON output
/// stays exact.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_bidi_control(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Unicode's explicit direction marks, embeddings, overrides and isolates (UAX #9).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A time as the user's clock shows it (tables and details; `--json` stays in UTC).
fn local(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Local> {
    t.with_timezone(&chrono::Local)
}

/// `s` in a column `n` terminal cells wide: cut with `…` when wider, padded with spaces. Cells,
/// not characters: a Chinese, Japanese or Korean character (or an emoji) takes two, an accent
/// typed as its own character none, so the columns after a name such as 山田太郎 stay in line.
fn fit(s: &str, n: usize) -> String {
    let width: usize = s.chars().map(cells).sum();
    let mut out = String::with_capacity(s.len() + n);
    let mut used = 0;
    if width <= n {
        out.push_str(s);
        used = width;
    } else {
        for c in s.chars() {
            if used + cells(c) > n - 1 {
                break;
            }
            out.push(c);
            used += cells(c);
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', n - used));
    out
}

/// The terminal cells `c` takes, as Unicode's East Asian width counts them (a terminal's
/// `wcwidth`): none for a combining mark or joiner; control characters, escaped before they get
/// here, none.
fn cells(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// One line for `leads update`: the lead's id and what changed, never its details.
pub fn updated(lead: &Lead, change: &LeadUpdate, changes: usize) -> Result<(), Error> {
    let id = &lead.id;
    if changes == 0 {
        return outln!("{id}: nothing changed, the lead already was so");
    }
    let mut parts = Vec::new();
    if let Some(status) = change.status {
        parts.push(format!("status {status}"));
    }
    if change.owner.is_some() {
        parts.push(
            lead.owner.as_deref().map_or_else(|| "owner cleared".into(), |o| format!("owner {}", safe(o))),
        );
    }
    // A tag given twice (`--add-tag a --add-tag a`) is one change, said once.
    let mut tags: Vec<String> = Vec::new();
    let added = change.add_tags.iter().map(|t| format!("+{}", safe(&t.trim().to_lowercase())));
    let removed = change.remove_tags.iter().map(|t| format!("-{}", safe(&t.trim().to_lowercase())));
    for tag in added.chain(removed) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    parts.extend(tags);
    if change.note.is_some() {
        parts.push("note added".into());
    }
    outln!("{id}: updated ({}); see it with `{} leads show {id}`", parts.join(", "), me())
}

pub fn detail(d: &LeadDetail, json: bool) -> Result<(), Error> {
    if json {
        return outln!("{}", serde_json::to_string_pretty(d).unwrap_or_default());
    }
    let l = &d.lead;
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_string(), |v| safe(v).into_owned());
    outln!("{}  {}", l.id, safe(l.full_name.as_deref().unwrap_or("(no name)")))?;
    outln!("  status:    {}", l.status)?;
    outln!("  email:     {}", opt(&l.email))?;
    outln!("  phone:     {}", opt(&l.phone))?;
    outln!("  company:   {}", opt(&l.company))?;
    outln!("  owner:     {}", opt(&l.owner))?;
    let tags = if l.tags.is_empty() { "-".into() } else { l.tags.join(", ") };
    outln!("  tags:      {}", safe(&tags))?;
    outln!("  source:    {} ({})", safe(&l.source), safe(&l.external_id))?;
    outln!("  created:   {}", local(l.created_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))?;
    if l.ad.campaign_name.is_some() || l.ad.form_name.is_some() {
        outln!("  campaign:  {}", opt(&l.ad.campaign_name))?;
        outln!("  ad:        {}", opt(&l.ad.ad_name))?;
        outln!("  form:      {}", opt(&l.ad.form_name))?;
    }
    if !l.fields.is_empty() {
        outln!("  answers:")?;
        for (k, v) in &l.fields {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            outln!("    {}: {}", safe(k), safe(&v))?;
        }
    }
    if !d.notes.is_empty() {
        outln!("  notes:")?;
        for n in &d.notes {
            outln!("    {}  {}", local(n.at).format("%Y-%m-%d %H:%M"), safe(&n.body))?;
        }
    }
    outln!("  timeline:")?;
    for e in &d.timeline {
        let detail = if e.detail.as_object().is_some_and(|o| o.is_empty()) {
            String::new()
        } else {
            e.detail.to_string()
        };
        outln!("    {}  {:<12} {}", local(e.at).format("%Y-%m-%d %H:%M"), safe(&e.kind), safe(&detail))?;
    }
    Ok(())
}

/// "1 lead", "2 leads".
pub fn leads(n: u64) -> String {
    count(n, "lead", "leads")
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// A one-line counter on stderr for long work, shown only on a terminal: nothing for work done
/// within [`Progress::FIRST_AFTER_MS`], then the count at most every [`Progress::EVERY_MS`], and
/// the last phase of an import ("Finishing… making N new leads searchable") or an export
/// ("Finishing… writing the file") as soon as it begins, where the count would sit still: for
/// about half of a big import, and the seconds an XLSX takes to be put together.
pub struct Progress {
    verb: &'static str,
    start: Instant,
    shown: Mutex<Shown>,
    /// Standard error on a terminal; `None` elsewhere (a pipe or file gets no progress).
    out: Option<Mutex<Box<dyn Write + Send>>>,
}

/// What the progress line shows now.
#[derive(Default)]
struct Shown {
    /// When it was last written, in milliseconds from the start; `None` before the first time.
    at: Option<u64>,
    /// Whether it says the work is finishing (it never goes back to counting).
    finishing: bool,
}

impl Progress {
    /// Work done sooner than this shows no progress at all.
    const FIRST_AFTER_MS: u64 = 200;
    /// How often the count is rewritten, at most.
    const EVERY_MS: u64 = 200;

    pub fn new(verb: &'static str) -> Progress {
        let out =
            std::io::stderr().is_terminal().then(|| Box::new(std::io::stderr()) as Box<dyn Write + Send>);
        Progress::to(verb, out)
    }

    /// A progress line written to `out`, or nowhere.
    fn to(verb: &'static str, out: Option<Box<dyn Write + Send>>) -> Progress {
        Progress {
            verb,
            start: Instant::now(),
            shown: Mutex::new(Shown::default()),
            out: out.map(Mutex::new),
        }
    }

    /// Whether the progress is shown at all (standard error is a terminal).
    pub fn is_shown(&self) -> bool {
        self.out.is_some()
    }

    /// `n` leads done so far.
    pub fn tick(&self, n: u64) {
        self.show(self.ms(), n, None);
    }

    /// An import's progress: its count, then that it is finishing.
    pub fn tick_import(&self, p: ImportProgress) {
        self.import_at(self.ms(), p);
    }

    fn import_at(&self, ms: u64, p: ImportProgress) {
        let finishing = p
            .finishing
            .then(|| format!("Finishing… making {} searchable", count(p.added, "new lead", "new leads")));
        self.show(ms, p.added, finishing);
    }

    /// An export's progress: `n` leads written of the view's `total` (when it is known), then,
    /// once every lead is read, that the file is being finished.
    pub fn tick_export(&self, n: u64, total: Option<u64>) {
        self.export_at(self.ms(), n, total);
    }

    fn export_at(&self, ms: u64, n: u64, total: Option<u64>) {
        let finishing =
            total.is_some_and(|t| t > 0 && n >= t).then(|| "Finishing… writing the file".to_string());
        self.show(ms, n, finishing);
    }

    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Shows `n` (or the `finishing` line, once the work is finishing) at `ms` from the start,
    /// when it is time to: the counter's throttle counts from the last line written, not the
    /// last call, so work that reports more often than every 200 ms is still shown.
    fn show(&self, ms: u64, n: u64, finishing: Option<String>) {
        let Some(out) = &self.out else { return };
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        if ms < Self::FIRST_AFTER_MS || shown.finishing {
            return;
        }
        let due = shown.at.is_none_or(|at| ms.saturating_sub(at) >= Self::EVERY_MS);
        let is_finishing = finishing.is_some();
        let line = match finishing {
            Some(line) => line,
            None if due => format!("{} {} leads …", self.verb, n),
            None => return,
        };
        shown.at = Some(ms);
        shown.finishing = is_finishing;
        let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
        // Back to the line's start, the text, and the rest of the line cleared.
        let _ = write!(out, "\r{line}\x1b[K").and_then(|()| out.flush());
    }

    /// Takes the progress line away, if one was shown.
    pub fn done(&self) {
        let Some(out) = &self.out else { return };
        if self.shown.lock().unwrap_or_else(|e| e.into_inner()).at.is_some() {
            let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
            let _ = write!(out, "\r\x1b[K").and_then(|()| out.flush());
        }
    }
}

/// What the command line says while an opened vault's schema is updated for this version.
pub fn updating(u: leadvault_core::vault::SchemaUpdate) -> String {
    format!("Updating the vault for this version of Leadvault ({}): this can take a minute…", leads(u.leads))
}

/// "1 new lead", "2 new leads".
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use leadvault_core::import::ImportProgress;

    use super::{Progress, safe, updating};

    #[test]
    fn an_update_of_the_schema_says_why_the_command_waits() {
        let u = leadvault_core::vault::SchemaUpdate { steps: 1, leads: 1 };
        assert_eq!(
            updating(u),
            "Updating the vault for this version of Leadvault (1 lead): this can take a minute…"
        );
    }

    /// A terminal that keeps what it was sent.
    #[derive(Clone, Default)]
    struct Screen(Arc<Mutex<Vec<u8>>>);

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Screen {
        /// The line as a terminal shows it now: what follows the last carriage return, the
        /// clear-to-end-of-line taken off.
        fn line(&self) -> String {
            let all = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            all.rsplit('\r').next().unwrap().replace("\x1b[K", "")
        }
        fn is_empty(&self) -> bool {
            self.0.lock().unwrap().is_empty()
        }
    }

    fn on(screen: &Screen, verb: &'static str) -> Progress {
        Progress::to(verb, Some(Box::new(screen.clone())))
    }

    fn import(added: u64, finishing: bool) -> ImportProgress {
        ImportProgress { added, finishing }
    }

    #[test]
    fn an_import_says_it_is_finishing_as_soon_as_every_row_is_in() {
        let screen = Screen::default();
        let progress = on(&screen, "imported");
        progress.import_at(400, import(600_000, false));
        assert_eq!(screen.line(), "imported 600000 leads …");
        progress.import_at(800, import(1_000_000, false));
        assert_eq!(screen.line(), "imported 1000000 leads …");
        // 50 ms after the last count: the new phase is not held back by the throttle.
        progress.import_at(850, import(1_000_000, true));
        assert_eq!(screen.line(), "Finishing… making 1000000 new leads searchable");
        // The count's last word after the commit does not take it back to counting.
        progress.import_at(20_000, import(1_000_000, true));
        progress.import_at(20_100, import(1_000_000, false));
        assert_eq!(screen.line(), "Finishing… making 1000000 new leads searchable");
        progress.done();
        assert_eq!(screen.line(), "");

        let screen = Screen::default();
        on(&screen, "imported").import_at(300, import(1, true));
        assert_eq!(screen.line(), "Finishing… making 1 new lead searchable");
    }

    #[test]
    fn an_export_says_it_is_finishing_once_every_lead_of_the_view_is_read() {
        let screen = Screen::default();
        let progress = on(&screen, "exported");
        progress.export_at(400, 500_000, Some(1_000_000));
        assert_eq!(screen.line(), "exported 500000 leads …");
        progress.export_at(450, 1_000_000, Some(1_000_000));
        assert_eq!(screen.line(), "Finishing… writing the file");
        progress.export_at(9_000, 1_000_000, Some(1_000_000));
        assert_eq!(screen.line(), "Finishing… writing the file");

        // The view's size not known (yet): counting, whatever the count.
        let screen = Screen::default();
        let progress = on(&screen, "exported");
        progress.export_at(400, 1_000_000, None);
        assert_eq!(screen.line(), "exported 1000000 leads …");
        progress.export_at(700, 0, Some(0));
        assert_eq!(screen.line(), "exported 0 leads …");
    }

    #[test]
    fn the_count_is_shown_every_200_ms_however_often_it_is_reported() {
        let screen = Screen::default();
        let progress = on(&screen, "synced");
        // Reported every 50 ms: shown at 200, 400, ... (it had compared each report with the
        // one before, 50 ms earlier, and never showed).
        for (i, ms) in (0..=450).step_by(50).enumerate() {
            progress.show(ms, i as u64 * 10, None);
        }
        let written = String::from_utf8(screen.0.lock().unwrap().clone()).unwrap();
        assert_eq!(written.matches('\r').count(), 2, "{written:?}");
        assert_eq!(screen.line(), "synced 80 leads …");
    }

    #[test]
    fn quick_work_and_no_terminal_show_nothing() {
        let screen = Screen::default();
        let progress = on(&screen, "imported");
        progress.import_at(0, import(0, false));
        progress.import_at(150, import(200, true));
        progress.done();
        assert!(screen.is_empty());

        let progress = Progress::to("imported", None);
        assert!(!progress.is_shown());
        progress.import_at(5_000, import(10, false));
        progress.import_at(6_000, import(10, true));
        progress.done();
    }

    #[test]
    fn what_a_terminal_would_act_on_is_escaped_and_nothing_else() {
        assert_eq!(safe("José Núñez 😀 +1 555"), "José Núñez 😀 +1 555");
        assert_eq!(safe("a\x1b]0;title\x07b\nc"), "a\\x1b]0;title\\x07b\\nc");
        // "invoice", the override, then "gpj.exe" shows as "invoiceexe.jpg" when the override is left in.
        assert_eq!(safe("invoice\u{202e}gpj.exe"), "invoice\\u{202e}gpj.exe");
        assert_eq!(safe("\u{2066}x\u{2069}\u{200f}"), "\\u{2066}x\\u{2069}\\u{200f}");
    }
}
