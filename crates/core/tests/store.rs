//! The core's store over real SQLCipher files and the real keychain: pages, search, the WAL,
//! and key rotation.

use std::path::Path;
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use leadvault_core::import::{ImportOptions, import_file};
use leadvault_core::secrets::{KeyStore, OsKeychain, Passphrase, VaultKey};
use leadvault_core::store::Cursor;
use leadvault_core::{Error, LeadFilter, LeadSort, LeadStatus, LeadUpdate, Unlock, Vault, VaultOptions};

fn options(dir: &Path) -> VaultOptions {
    VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new()))
}

/// `n` leads in a CSV where every 10 share one creation time, so pages must break ties.
fn write_csv(path: &Path, n: usize) {
    let mut s = String::from("id,name,email,phone,created_at\n");
    for i in 0..n {
        let day = 1 + (i / 10) % 28;
        s.push_str(&format!(
            "{i},Person {i},person{i}@example.com,+1 555 {:03} {:04},2026-09-{day:02}T10:00:00Z\n",
            i % 1000,
            i
        ));
    }
    std::fs::write(path, s).unwrap();
}

async fn all_pages(vault: &Vault, filter: &LeadFilter, sort: LeadSort, size: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = vault.leads().list(filter, sort, cursor.as_ref(), size).await.unwrap();
        assert!(page.leads.len() <= size as usize);
        ids.extend(page.leads.iter().map(|l| l.id.clone()));
        match page.next {
            // A cursor survives a round trip through its text form (the UI keeps it as text).
            Some(c) => cursor = Some(Cursor::decode(&c.encode()).unwrap()),
            None => break,
        }
    }
    ids
}

#[tokio::test]
async fn keyset_pages_cover_every_lead_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    write_csv(&csv, 503);
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();

    for (filter, sort) in [
        (LeadFilter::default(), LeadSort::Newest),
        (LeadFilter::default(), LeadSort::Oldest),
        (LeadFilter::default(), LeadSort::ScoreHigh),
        (LeadFilter { search: Some("example".into()), ..Default::default() }, LeadSort::Newest),
        (LeadFilter { search: Some("555 00".into()), ..Default::default() }, LeadSort::Oldest),
    ] {
        let streamed: Vec<String> =
            vault.leads().stream(&filter, sort).map_ok(|l| l.id).try_collect().await.unwrap();
        let paged = all_pages(&vault, &filter, sort, 7).await;
        assert_eq!(paged, streamed, "{filter:?} {sort:?}");
        let mut unique = paged.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), paged.len(), "no lead twice");
        assert_eq!(paged.len() as i64, vault.leads().count(&filter).await.unwrap());
    }
    assert_eq!(all_pages(&vault, &LeadFilter::default(), LeadSort::Newest, 50).await.len(), 503);
    let counts = vault.leads().count_by_status(&LeadFilter::default()).await.unwrap();
    assert_eq!(counts.len(), 6);
    assert_eq!(counts[0], (LeadStatus::New, 503));
}

/// A search or a date range, paged newest- or oldest-first, gives exactly the leads of the
/// whole list (read through another index) that match, in the same order.
#[tokio::test]
async fn searches_and_date_ranges_page_like_the_filtered_whole_list() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    write_csv(&csv, 503);
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    let leads = vault.leads();
    let everyone: Vec<_> =
        leads.stream(&LeadFilter::default(), LeadSort::Newest).try_collect().await.unwrap();
    assert_eq!(everyone.len(), 503);
    // Newest first: by creation time, then by arrival (later rows of the file first).
    assert!(everyone.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    let day = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 9, d).unwrap().and_hms_opt(10, 0, 0).unwrap().and_utc()
    };

    let second = chrono::Duration::seconds(1);
    let milli = chrono::Duration::milliseconds(1);
    type Keep = Box<dyn Fn(&leadvault_core::Lead) -> bool>;
    let cases: Vec<(LeadFilter, Keep)> = vec![
        (
            LeadFilter { search: Some("person1".into()), ..Default::default() },
            Box::new(|l| l.full_name.as_deref().unwrap().starts_with("Person 1")),
        ),
        (
            LeadFilter { since: Some(day(5)), until: Some(day(9)), ..Default::default() },
            Box::new(move |l| l.created_at >= day(5) && l.created_at < day(9)),
        ),
        (
            LeadFilter { search: Some("person".into()), since: Some(day(20)), ..Default::default() },
            Box::new(move |l| l.created_at >= day(20)),
        ),
        (
            LeadFilter { search: Some("555 01".into()), until: Some(day(3)), ..Default::default() },
            Box::new(move |l| l.phone.as_deref().unwrap().starts_with("+1 555 01") && l.created_at < day(3)),
        ),
        // A long one-word prefix: read as the few terms it begins ("example"), not as a prefix.
        (LeadFilter { search: Some("Exam".into()), ..Default::default() }, Box::new(|_| true)),
        (LeadFilter { search: Some("person Exam".into()), ..Default::default() }, Box::new(|_| true)),
        (LeadFilter { search: Some("examples".into()), ..Default::default() }, Box::new(|_| false)),
        // A bound one second after some leads were created, and one exactly at their creation.
        (
            LeadFilter { since: Some(day(7)), until: Some(day(8) + second), ..Default::default() },
            Box::new(move |l| l.created_at >= day(7) && l.created_at < day(8) + second),
        ),
        // Bounds within a second, finer than the sort key: a millisecond after some leads were
        // created leaves them out (since) or takes them in (until), a millisecond before the
        // opposite.
        (
            LeadFilter { since: Some(day(7) + milli), until: Some(day(9) + milli), ..Default::default() },
            Box::new(move |l| l.created_at > day(7) && l.created_at <= day(9)),
        ),
        (
            LeadFilter { since: Some(day(7) - milli), until: Some(day(9) - milli), ..Default::default() },
            Box::new(move |l| l.created_at >= day(7) && l.created_at < day(9)),
        ),
    ];
    for (filter, keep) in &cases {
        let expected: Vec<String> = everyone.iter().filter(|l| keep(l)).map(|l| l.id.clone()).collect();
        assert_eq!(all_pages(&vault, filter, LeadSort::Newest, 6).await, expected, "{filter:?}");
        let mut oldest = expected.clone();
        oldest.reverse();
        assert_eq!(all_pages(&vault, filter, LeadSort::Oldest, 9).await, oldest, "{filter:?}");
        let mut by_score = all_pages(&vault, filter, LeadSort::ScoreHigh, 8).await;
        by_score.sort();
        let mut all = expected.clone();
        all.sort();
        assert_eq!(by_score, all, "{filter:?}");
        assert_eq!(vault.leads().count(filter).await.unwrap(), expected.len() as i64);
        // Counts per status, which read another index when there is a search.
        let by_status = vault.leads().count_by_status(filter).await.unwrap();
        assert_eq!(by_status.iter().map(|(_, n)| n).sum::<i64>(), expected.len() as i64, "{filter:?}");
        assert_eq!(by_status.iter().find(|(s, _)| *s == LeadStatus::New).unwrap().1, expected.len() as i64);
    }
    vault.close().await;
}

#[tokio::test]
async fn a_bad_cursor_is_a_clear_error() {
    assert!(matches!(Cursor::decode("not-a-cursor"), Err(Error::InvalidInput(_))));
}

#[tokio::test]
async fn the_wal_and_shared_memory_hold_no_plaintext_while_the_vault_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let marker = "Wq4WalMarker";
    let csv = dir.path().join("m.csv");
    std::fs::write(
        &csv,
        format!("name,email,company\n{marker},{}@example.com,{marker} Ltd\n", marker.to_lowercase()),
    )
    .unwrap();
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    let id = vault.leads().list(&LeadFilter::default(), LeadSort::Newest, None, 1).await.unwrap().leads[0]
        .id
        .clone();
    vault
        .leads()
        .update(&id, &LeadUpdate { note: Some(format!("{marker} note")), ..Default::default() })
        .await
        .unwrap();

    // The vault is still open: the newest pages live in the WAL, not yet in the main file.
    let data = dir.path().join("data");
    let wal = std::fs::read(data.join("vault.db-wal")).expect("an open WAL-mode vault has a -wal file");
    assert!(wal.len() > 4096, "the WAL holds the new pages");
    for name in ["vault.db", "vault.db-wal", "vault.db-shm", "vault.json"] {
        let bytes = std::fs::read(data.join(name)).unwrap_or_default();
        for needle in [marker.as_bytes(), marker.to_lowercase().as_bytes()] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{name} holds plaintext");
        }
    }
    assert_eq!(
        vault.leads().count(&LeadFilter { search: Some(marker.into()), ..Default::default() }).await.unwrap(),
        1
    );
    vault.close().await;
}

/// A keychain that remembers every key it was given, to try an old one after a rekey.
#[derive(Default)]
struct Remembering {
    inner: OsKeychain,
    seen: Mutex<Vec<VaultKey>>,
}

impl KeyStore for Remembering {
    fn get(&self, account: &str) -> leadvault_core::Result<Option<VaultKey>> {
        let key = self.inner.get(account)?;
        if let Some(k) = &key {
            self.seen.lock().unwrap().push(k.clone());
        }
        Ok(key)
    }
    fn set(&self, account: &str, key: &VaultKey) -> leadvault_core::Result<()> {
        self.seen.lock().unwrap().push(key.clone());
        self.inner.set(account, key)
    }
    fn delete(&self, account: &str) -> leadvault_core::Result<()> {
        self.inner.delete(account)
    }
}

/// Always hands out one fixed key.
struct Fixed(VaultKey);

impl KeyStore for Fixed {
    fn get(&self, _: &str) -> leadvault_core::Result<Option<VaultKey>> {
        Ok(Some(self.0.clone()))
    }
    fn set(&self, _: &str, _: &VaultKey) -> leadvault_core::Result<()> {
        Ok(())
    }
    fn delete(&self, _: &str) -> leadvault_core::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn after_a_rekey_the_old_key_no_longer_opens_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Remembering::default());
    let opts = VaultOptions::new(dir.path().join("data"), store.clone());
    let vault = Vault::create(opts.clone(), Unlock::Keychain).await.unwrap();
    let old = store.seen.lock().unwrap()[0].clone();
    let vault = vault.rekey(Unlock::Keychain).await.unwrap();
    vault.close().await;

    let with_old = VaultOptions::new(dir.path().join("data"), Arc::new(Fixed(old)));
    assert!(matches!(Vault::open(with_old).await, Err(Error::WrongKey { .. })));
    Vault::open(opts).await.expect("the new key in the keychain opens it").close().await;
}

#[tokio::test]
async fn a_passphrase_vault_just_created_can_change_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let first = Passphrase::new("the first passphrase").unwrap();
    let vault = Vault::create(opts.clone(), Unlock::Passphrase(first)).await.unwrap();
    // In the same session, as the window's settings do right after the first run.
    let second = Passphrase::new("the second passphrase").unwrap();
    vault.rekey(Unlock::Passphrase(second)).await.expect("the new vault knows its passphrase").close().await;

    let with = |p: &str| VaultOptions { passphrase: Some(Passphrase::new(p).unwrap()), ..opts.clone() };
    assert!(matches!(Vault::open(with("the first passphrase")).await, Err(Error::WrongKey { .. })));
    Vault::open(with("the second passphrase")).await.expect("the new passphrase opens it").close().await;
}

/// A keychain in memory that refuses what it is told to: storing under an account (the vault's
/// own, not the parked `#next` one), or deleting.
#[derive(Default)]
struct Refusing {
    keys: Mutex<std::collections::HashMap<String, VaultKey>>,
    refuse_set: std::sync::atomic::AtomicBool,
    refuse_parking: std::sync::atomic::AtomicBool,
    refuse_delete: std::sync::atomic::AtomicBool,
}

impl Refusing {
    fn refuse(flag: &std::sync::atomic::AtomicBool) -> leadvault_core::Result<()> {
        match flag.load(std::sync::atomic::Ordering::SeqCst) {
            true => {
                Err(Error::KeychainUnavailable { reason: "the keychain is locked or refused access".into() })
            }
            false => Ok(()),
        }
    }
}

impl KeyStore for Refusing {
    fn get(&self, account: &str) -> leadvault_core::Result<Option<VaultKey>> {
        Ok(self.keys.lock().unwrap().get(account).cloned())
    }
    fn set(&self, account: &str, key: &VaultKey) -> leadvault_core::Result<()> {
        match account.ends_with("#next") {
            true => Refusing::refuse(&self.refuse_parking)?,
            false => Refusing::refuse(&self.refuse_set)?,
        }
        self.keys.lock().unwrap().insert(account.into(), key.clone());
        Ok(())
    }
    fn delete(&self, account: &str) -> leadvault_core::Result<()> {
        Refusing::refuse(&self.refuse_delete)?;
        self.keys.lock().unwrap().remove(account);
        Ok(())
    }
}

#[tokio::test]
async fn a_key_change_that_fails_part_way_never_locks_the_owner_out() {
    use std::sync::atomic::Ordering::SeqCst;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Refusing::default());
    let opts = VaultOptions::new(dir.path().join("data"), store.clone());
    let with = |p: &str| VaultOptions { passphrase: Some(Passphrase::new(p).unwrap()), ..opts.clone() };
    let first = Passphrase::new("the first passphrase").unwrap();
    let vault = Vault::create(opts.clone(), Unlock::Passphrase(first)).await.unwrap();
    let csv = dir.path().join("leads.csv");
    write_csv(&csv, 3);
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();

    // The new key cannot even be parked: nothing changed, and the vault is still open.
    store.refuse_parking.store(true, SeqCst);
    let kept = vault.clone();
    assert!(vault.rekey(Unlock::Keychain).await.is_err());
    assert!(kept.is_open(), "a change refused before it began leaves the vault open");
    assert_eq!(kept.leads().count(&LeadFilter::default()).await.unwrap(), 3);
    store.refuse_parking.store(false, SeqCst);

    // Parked, but the vault's own entry refuses it after the database took the new key: the
    // parked key opens it.
    store.refuse_set.store(true, SeqCst);
    assert!(kept.rekey(Unlock::Keychain).await.is_err());
    store.refuse_set.store(false, SeqCst);
    let vault = Vault::open(opts.clone()).await.expect("the parked key opens the vault");
    assert_eq!(vault.leads().count(&LeadFilter::default()).await.unwrap(), 3);

    // Back to a passphrase while the keychain refuses to delete the old key: done all the same.
    store.refuse_delete.store(true, SeqCst);
    let second = Passphrase::new("the second passphrase").unwrap();
    vault
        .rekey(Unlock::Passphrase(second))
        .await
        .expect("a stale keychain entry does not stop it")
        .close()
        .await;
    Vault::open(with("the second passphrase")).await.expect("the new passphrase opens it").close().await;
}

/// Reads a key from the real keychain, off the async runtime as the vault does.
async fn keychain_get(account: &str) -> Option<VaultKey> {
    let account = account.to_string();
    tokio::task::spawn_blocking(move || OsKeychain::new().get(&account)).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_interrupted_rekey_is_finished_on_the_next_open() {
    // The new key was parked in the keychain and the database re-encrypted, then the process
    // died before the keychain's main entry was updated.
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let vault = Vault::create(opts.clone(), Unlock::Keychain).await.unwrap();
    let account = format!("vault:{}", std::fs::canonicalize(dir.path().join("data")).unwrap().display());
    let keychain = OsKeychain::new();
    let old = keychain_get(&account).await.expect("the key is in the keychain");
    let vault = vault.rekey(Unlock::Keychain).await.unwrap();
    vault.close().await;
    let new = keychain_get(&account).await.expect("the new key is in the keychain");
    // Simulate the crash: main entry still has the old key, the new one is parked.
    let (a, p) = (account.clone(), format!("{account}#next"));
    tokio::task::spawn_blocking(move || {
        keychain.set(&a, &old).unwrap();
        keychain.set(&p, &new).unwrap();
    })
    .await
    .unwrap();
    Vault::open(opts.clone()).await.expect("the parked key opens it").close().await;
    assert!(
        keychain_get(&format!("{account}#next")).await.is_none(),
        "the parked key was promoted and removed"
    );
    Vault::open(opts).await.expect("the main entry now holds the right key").close().await;
}

#[tokio::test]
async fn a_passphrase_vault_needs_no_keychain_and_refuses_a_wrong_passphrase() {
    struct NoKeychain;
    impl KeyStore for NoKeychain {
        fn get(&self, _: &str) -> leadvault_core::Result<Option<VaultKey>> {
            panic!("a passphrase vault never asks the keychain")
        }
        fn set(&self, _: &str, _: &VaultKey) -> leadvault_core::Result<()> {
            panic!("a passphrase vault never writes to the keychain")
        }
        fn delete(&self, _: &str) -> leadvault_core::Result<()> {
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut opts = VaultOptions::new(dir.path().join("data"), Arc::new(NoKeychain));
    let pass = Passphrase::new("a long enough passphrase").unwrap();
    Vault::create(opts.clone(), Unlock::Passphrase(pass.clone())).await.unwrap().close().await;
    opts.passphrase = Some(Passphrase::new("not the passphrase").unwrap());
    assert!(matches!(Vault::open(opts.clone()).await, Err(Error::WrongKey { .. })));
    opts.passphrase = Some(pass);
    let vault = Vault::open(opts).await.unwrap();
    assert_eq!(vault.status().await.unwrap().key_source.as_str(), "passphrase");
    vault.close().await;
}

/// Runs the work that `start` begins until it reports progress, then drops it (cancels it);
/// `Some(result)` if it finished first.
async fn drop_at_first_progress<T, F: std::future::Future<Output = T>>(
    start: impl FnOnce(Box<dyn Fn(u64) + Send + Sync>) -> F,
) -> Option<T> {
    let (tx, mut rx) = tokio::sync::watch::channel(0u64);
    let work = start(Box::new(move |n| {
        let _ = tx.send(n);
    }));
    let first_progress = async move {
        if rx.wait_for(|n| *n > 0).await.is_err() {
            // The work ended and dropped its callback: let the other branch report it.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        done = work => Some(done),
        () = first_progress => None,
    }
}

/// Dropping an export's future stops it: the file never appears and no partial file is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_export_leaves_no_file() {
    use leadvault_core::export::{ExportFormat, ExportOptions, export};
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    write_csv(&csv, 30_000);
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("all.csv");
    let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
    let filter = LeadFilter::default();
    let finished = drop_at_first_progress(|progress| {
        export(&vault, &filter, LeadSort::Newest, &out, &options, progress)
    })
    .await;
    if let Some(report) = finished.map(Result::unwrap) {
        // It won the race (a fast machine): then the file is whole.
        assert_eq!(report.rows, 30_000);
        return;
    }
    // The blocking thread stops at its next batch and cleans up; wait for that, bounded.
    for _ in 0..600 {
        if std::fs::read_dir(&out_dir).unwrap().next().is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "a cancelled export left {left:?}");
    vault.close().await;
}

/// Dropping an import's future rolls it back: nothing of the file is kept, and the vault takes
/// the next import.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_import_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    write_csv(&csv, 30_000);
    let import_options = ImportOptions::default();
    let finished =
        drop_at_first_progress(|progress| import_file(&vault, &csv, &import_options, progress)).await;
    let expected = if finished.is_some() { 30_000 } else { 0 };
    // A new import waits for the cancelled one to roll back (the write lock), then goes in.
    let small = dir.path().join("small.csv");
    std::fs::write(&small, "name,email\nAna Lima,ana@example.com\n").unwrap();
    let report = import_file(&vault, &small, &ImportOptions::default(), |_| {}).await.unwrap();
    assert_eq!(report.added, 1);
    assert_eq!(vault.leads().count(&LeadFilter::default()).await.unwrap(), expected + 1);
    let person = LeadFilter { search: Some("person".into()), ..Default::default() };
    let hits = vault.leads().count(&person).await.unwrap();
    assert_eq!(hits, expected, "the search index holds what the table holds");
    vault.close().await;
}

/// The export's extra columns for the whole vault come from the store's running list of field
/// names; they must be exactly what reading every lead finds.
#[tokio::test]
async fn the_whole_vault_field_names_match_the_leads() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let a = dir.path().join("a.csv");
    std::fs::write(&a, "name,email,budget,colour\nAna,ana@example.com,10,red\nBo,bo@example.com,,blue\n")
        .unwrap();
    let b = dir.path().join("b.csv");
    std::fs::write(&b, "name,email,timeline\nCy,cy@example.com,soon\n").unwrap();
    for file in [&a, &b, &a] {
        import_file(&vault, file, &ImportOptions::default(), |_| {}).await.unwrap();
    }
    let listed = vault.leads().field_names(&LeadFilter::default()).await.unwrap();
    // A filter that lets every lead through takes the slow path: read every lead's answers.
    let since_1970 = LeadFilter { since: Some(chrono::DateTime::UNIX_EPOCH), ..Default::default() };
    let scanned = vault.leads().field_names(&since_1970).await.unwrap();
    assert_eq!(listed, scanned);
    assert!(listed.contains(&"timeline".to_string()) && listed.contains(&"colour".to_string()), "{listed:?}");
    vault.close().await;
}

/// Leads added through the API (samples, syncs) go in once, with their tags and field names,
/// and are searchable at once.
#[tokio::test]
async fn added_leads_go_in_once_and_are_searchable() {
    use leadvault_core::NewLead;
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let lead = |i: u32| NewLead {
        source: "api".into(),
        external_id: format!("x{i}"),
        created_at: chrono::DateTime::from_timestamp(1_790_000_000 + i64::from(i), 0).unwrap(),
        full_name: Some(format!("Zelda Quintero{i}")),
        tags: vec!["sample".into()],
        fields: [("budget".to_string(), serde_json::json!("10k"))].into_iter().collect(),
        ..Default::default()
    };
    let batch: Vec<NewLead> = (0..40).map(lead).collect();
    assert_eq!(vault.add_leads(batch.clone()).await.unwrap(), 40);
    assert_eq!(vault.add_leads(batch).await.unwrap(), 0, "the same leads again add nothing");
    let found = vault
        .leads()
        .list(
            &LeadFilter { search: Some("quintero3".into()), ..Default::default() },
            LeadSort::Newest,
            None,
            50,
        )
        .await
        .unwrap();
    // quintero3 and quintero30..39, newest (highest i) first.
    let names: Vec<_> = found.leads.iter().map(|l| l.full_name.clone().unwrap()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    assert_eq!(names[0], "Zelda Quintero39");
    assert_eq!(names[10], "Zelda Quintero3");
    assert_eq!(
        vault.leads().count(&LeadFilter { tag: Some("sample".into()), ..Default::default() }).await.unwrap(),
        40
    );
    assert_eq!(vault.leads().field_names(&LeadFilter::default()).await.unwrap(), vec!["budget"]);
    vault.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_and_owners_are_found_whatever_their_case() {
    use leadvault_core::NewLead;
    use leadvault_core::export::{ExportFormat, ExportOptions, export};
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let lead = |i: u32, source: &str, owner: Option<&str>| NewLead {
        source: source.into(),
        external_id: format!("x{i}"),
        created_at: chrono::DateTime::from_timestamp(1_790_000_000 + i64::from(i), 0).unwrap(),
        full_name: Some(format!("Lead {i}")),
        owner: owner.map(str::to_string),
        ..Default::default()
    };
    let leads = vec![
        lead(1, "meta", Some("Dana Rivera")),
        lead(2, "meta", None),
        lead(3, "meta", Some("Sam")),
        lead(4, "web", None),
        lead(5, "Web", Some("Dana Rivera")),
        lead(6, "Web", None),
    ];
    assert_eq!(vault.add_leads(leads).await.unwrap(), 6);
    let count = |source: Option<&str>, owner: Option<&str>| {
        let filter = LeadFilter {
            source: source.map(str::to_string),
            owner: owner.map(str::to_string),
            ..Default::default()
        };
        let vault = &vault;
        async move {
            let n = vault.leads().count(&filter).await.unwrap();
            let listed = all_pages(vault, &filter, LeadSort::Newest, 2).await.len() as i64;
            let by_status: i64 =
                vault.leads().count_by_status(&filter).await.unwrap().iter().map(|(_, n)| n).sum();
            assert_eq!((listed, by_status), (n, n), "{filter:?}: list, count and counts per status agree");
            n
        }
    };
    assert_eq!(count(Some("meta"), None).await, 3);
    assert_eq!(count(Some("Meta"), None).await, 3, "a label typed with another case");
    assert_eq!(count(Some(" META "), None).await, 3, "and with spaces around it");
    // Two spellings stored: the exact one wins; otherwise the first in byte order ("Web").
    assert_eq!(count(Some("web"), None).await, 1);
    assert_eq!(count(Some("Web"), None).await, 2);
    assert_eq!(count(Some("WEB"), None).await, 2);
    assert_eq!(count(Some("nope"), None).await, 0);
    assert_eq!(count(None, Some("dana rivera")).await, 2);
    assert_eq!(count(Some("META"), Some("DANA RIVERA")).await, 1);
    assert_eq!(count(None, Some("dana")).await, 0, "a part of a name is not the name");

    // The export reads the same view through its own connection.
    let out = dir.path().join("meta.csv");
    let filter = LeadFilter { source: Some("Meta".into()), ..Default::default() };
    let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
    let report = export(&vault, &filter, LeadSort::Newest, &out, &options, |_| {}).await.unwrap();
    assert_eq!(report.rows, 3);
    vault.close().await;
}

#[tokio::test]
async fn a_tag_stored_before_the_rules_tightened_can_still_be_removed() {
    use leadvault_core::NewLead;
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let old = NewLead {
        source: "api".into(),
        external_id: "x1".into(),
        full_name: Some("Old Tags".into()),
        tags: vec!["q3;q4".into(), "vip".into()],
        ..Default::default()
    };
    vault.add_leads(vec![old]).await.unwrap();
    let id = vault.leads().list(&LeadFilter::default(), LeadSort::Newest, None, 1).await.unwrap().leads[0]
        .id
        .clone();
    let change = LeadUpdate { remove_tags: vec![" Q3;Q4 ".into()], ..Default::default() };
    let detail = vault.leads().update(&id, &change).await.unwrap();
    assert_eq!(detail.lead.tags, vec!["vip"]);
    // Adding one is still checked.
    let add = LeadUpdate { add_tags: vec!["a;b".into()], ..Default::default() };
    assert!(matches!(vault.leads().update(&id, &add).await, Err(Error::InvalidInput(_))));
    vault.close().await;
}

/// A change to many leads is one change: when one of them cannot take it (deleted since),
/// none of the others keep it.
#[tokio::test]
async fn a_change_to_many_leads_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    write_csv(&csv, 5);
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    let all = LeadFilter::default();
    let mut ids: Vec<String> = vault
        .leads()
        .list(&all, LeadSort::Newest, None, 10)
        .await
        .unwrap()
        .leads
        .into_iter()
        .map(|l| l.id)
        .collect();
    let change = LeadUpdate { add_tags: vec!["hot".into()], ..Default::default() };
    ids.insert(2, "01JZZZZZZZZZZZZZZZZZZZZZZZ".into());
    let err = vault.leads().update_many(&ids, &change).await.unwrap_err();
    assert!(matches!(err, Error::LeadNotFound { .. }), "{err}");
    let hot = LeadFilter { tag: Some("hot".into()), ..Default::default() };
    assert_eq!(vault.leads().count(&hot).await.unwrap(), 0, "the leads before the missing one kept nothing");
    ids.remove(2);
    assert_eq!(vault.leads().update_many(&ids, &change).await.unwrap(), 5);
    assert_eq!(vault.leads().update_many(&ids, &change).await.unwrap(), 0, "already as asked");
    assert_eq!(vault.leads().count(&hot).await.unwrap(), 5);
    vault.close().await;
}

/// The names of the leads `search` finds, read every way a search is: the newest and the
/// oldest first (from the search index), by score (from the score index), and counted.
async fn found(vault: &Vault, search: &str) -> Vec<String> {
    let filter = LeadFilter { search: Some(search.into()), ..Default::default() };
    let mut names = Vec::new();
    for sort in [LeadSort::Newest, LeadSort::Oldest, LeadSort::ScoreHigh] {
        let page = vault.leads().list(&filter, sort, None, 50).await.unwrap();
        let mut these: Vec<String> =
            page.leads.into_iter().map(|l| l.full_name.unwrap_or_default()).collect();
        if sort == LeadSort::Oldest {
            these.reverse();
        }
        names.push(these);
    }
    assert_eq!(names[1], names[0], "{search}: oldest first");
    assert_eq!(names[2], names[0], "{search}: by score");
    assert_eq!(vault.leads().count(&filter).await.unwrap(), names[0].len() as i64, "{search}: counted");
    names.swap_remove(0)
}

/// A number typed the national way, its trunk 0 in place of the country code, finds the lead
/// stored with the country code: not leads whose phones share its last 7 digits but not the
/// rest, or have more than a country code before them.
#[tokio::test]
async fn a_phone_number_typed_the_national_way_finds_it_stored_with_its_country_code() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    std::fs::write(
        &csv,
        "id,name,phone,created_at\n\
         1,Olivia Hart,+44 7911 123456,2026-09-01T10:00:00Z\n\
         2,Jonas Berg,+49 30 1234567,2026-09-02T10:00:00Z\n\
         3,Claire Martin,+33 6 12 34 56 78,2026-09-03T10:00:00Z\n\
         4,Ann Same Seven,+1 212 123 4567,2026-09-04T10:00:00Z\n\
         5,Ben Long Prefix,+1 555 301 234 567,2026-09-05T10:00:00Z\n\
         6,Cara National,0123 456789,2026-09-06T10:00:00Z\n\
         7,Dan Belgium,+32 612 34 56 78,2026-09-07T10:00:00Z\n",
    )
    .unwrap();
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    for (typed, expected) in [
        ("07911 123456", vec!["Olivia Hart"]),
        ("07911123456", vec!["Olivia Hart"]),
        ("030 1234567", vec!["Jonas Berg"]),
        ("0301234567", vec!["Jonas Berg"]),
        ("030/123 45 67", vec!["Jonas Berg"]),
        // The same digits after another country's code are found too: which country was meant
        // is not typed.
        ("06 12 34 56 78", vec!["Dan Belgium", "Claire Martin"]),
        ("0612345678", vec!["Dan Belgium", "Claire Martin"]),
        ("06.12.34.56.78", vec!["Dan Belgium", "Claire Martin"]),
        // Digits with a leading 0 still find the numbers that begin with them.
        ("0123", vec!["Cara National"]),
        ("0123 456789", vec!["Cara National"]),
        // The last 7 digits alone are not the number.
        ("0991234567", vec![]),
        ("00301234567", vec![]),
        ("+0301234567", vec![]),
    ] {
        assert_eq!(found(&vault, typed).await, expected, "{typed}");
    }
    vault.close().await;
}

/// Chinese, Japanese and Korean names, companies and notes are found by any of their
/// characters, as imported, added through the API and changed: "伟" finds 张伟 (only "张" did),
/// "太郎" 山田太郎, "민준" 김민준. The index stays sound through the changes.
#[tokio::test]
async fn chinese_japanese_and_korean_text_is_found_by_any_part() {
    use leadvault_core::NewLead;
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    std::fs::write(
        &csv,
        "id,name,company,created_at\n\
         1,张伟,北京科技有限公司,2026-09-01T10:00:00Z\n\
         2,山田太郎,Łódź Trading,2026-09-02T10:00:00Z\n\
         3,Ana López,株式会社山田,2026-09-03T10:00:00Z\n",
    )
    .unwrap();
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    let korean = NewLead {
        source: "api".into(),
        external_id: "k1".into(),
        created_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        full_name: Some("김민준".into()),
        ..Default::default()
    };
    assert_eq!(vault.add_leads(vec![korean]).await.unwrap(), 1);
    for (typed, expected) in [
        ("伟", vec!["张伟"]),
        ("张伟", vec!["张伟"]),
        ("张", vec!["张伟"]),
        ("科技", vec!["张伟"]),
        ("太郎", vec!["山田太郎"]),
        ("山田", vec!["Ana López", "山田太郎"]),
        ("田太", vec!["山田太郎"]),
        ("太郎 lodz", vec!["山田太郎"]),
        ("민준", vec!["김민준"]),
        ("lopez 山田", vec!["Ana López"]),
        ("郎太", vec![]),
    ] {
        assert_eq!(found(&vault, typed).await, expected, "{typed}");
    }
    // A note added later is searchable by its parts; the lead's other words stay found.
    let zhang = vault
        .leads()
        .list(&LeadFilter { search: Some("伟".into()), ..Default::default() }, LeadSort::Newest, None, 1)
        .await
        .unwrap()
        .leads
        .remove(0);
    let note = LeadUpdate { note: Some("周三回电话".into()), ..Default::default() };
    vault.leads().update(&zhang.id, &note).await.unwrap();
    assert_eq!(found(&vault, "回电").await, vec!["张伟"]);
    assert_eq!(found(&vault, "有限公司").await, vec!["张伟"]);
    assert_eq!(vault.check().await.unwrap(), Vec::<String>::new());
    vault.close().await;
}

/// A lead whose notes hold Chinese, Japanese or Korean text is indexed in time that grows with
/// their length: a note of 600,000 characters is added (the lead indexed again) and found by
/// its parts, where cutting it for the index copied the rest of the text at each character and
/// took a quarter of an hour. Words that straddle the 512 characters the text is cut in stay
/// whole and in order.
#[tokio::test]
async fn a_long_note_in_chinese_is_indexed_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let csv = dir.path().join("leads.csv");
    std::fs::write(
        &csv,
        "id,name,created_at\n1,张伟,2026-09-01T10:00:00Z\n2,Olivia Hart,2026-09-02T10:00:00Z\n",
    )
    .unwrap();
    import_file(&vault, &csv, &ImportOptions::default(), |_| {}).await.unwrap();
    let id = |name: &'static str| {
        let vault = &vault;
        async move {
            let filter = LeadFilter { search: Some(name.into()), ..Default::default() };
            vault.leads().list(&filter, LeadSort::Newest, None, 1).await.unwrap().leads.remove(0).id
        }
    };
    let (zhang, olivia) = (id("张伟").await, id("Olivia").await);
    // 独角兽 as the 511th to the 513th characters, 飞龙 as the 1,024th and 1,025th.
    let straddling = format!("{}独角兽{}飞龙 ok", "a".repeat(510), "b".repeat(510));
    let note = LeadUpdate { note: Some(straddling), ..Default::default() };
    vault.leads().update(&olivia, &note).await.unwrap();
    let long = format!("{}最后一句", "周三回电话 budget 2026 ".repeat(35_000));
    assert!(long.chars().count() > 600_000);
    let note = LeadUpdate { note: Some(long), ..Default::default() };
    // A bound for a broken build only (no timing is asserted): it fails rather than runs on.
    tokio::time::timeout(std::time::Duration::from_secs(120), vault.leads().update(&zhang, &note))
        .await
        .expect("the long note is indexed")
        .unwrap();
    assert_eq!(found(&vault, "最后一句").await, vec!["张伟"]);
    assert_eq!(found(&vault, "回电 budget").await, vec!["张伟"]);
    assert_eq!(found(&vault, "独角兽").await, vec!["Olivia Hart"]);
    assert_eq!(found(&vault, "角兽").await, vec!["Olivia Hart"]);
    assert_eq!(found(&vault, "飞龙").await, vec!["Olivia Hart"]);
    assert_eq!(found(&vault, "兽独").await, Vec::<String>::new());
    assert_eq!(vault.check().await.unwrap(), Vec::<String>::new());
    vault.close().await;
}

#[tokio::test]
async fn the_leads_schema_remakes_the_vaults_tables_and_search_index_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let passphrase = Passphrase::new("a long test passphrase").unwrap();
    let mut opts = options(dir.path());
    opts.passphrase = Some(passphrase.clone());
    let vault = Vault::create(opts, Unlock::Passphrase(passphrase)).await.unwrap();
    let schema = vault.leads_schema().await.unwrap();
    vault.close().await;

    // Tables first, then their indexes, then the search index's settings.
    let first_index =
        schema.iter().position(|s| s.starts_with("CREATE INDEX") || s.starts_with("CREATE UNIQUE"));
    let last_table =
        schema.iter().rposition(|s| s.starts_with("CREATE TABLE") || s.starts_with("CREATE VIRTUAL"));
    assert!(last_table.unwrap() < first_index.unwrap(), "{schema:#?}");
    for needed in
        ["CREATE TABLE leads", "CREATE VIRTUAL TABLE leads_fts", "leads_by_key", "'hashsize', 16777216"]
    {
        assert!(schema.iter().any(|s| s.contains(needed)), "{needed} is missing from {schema:#?}");
    }
    // Only definitions: no shadow tables of the search index, nothing of the other tables.
    assert!(!schema.iter().any(|s| s.contains("leads_fts_data") || s.contains("connections")), "{schema:#?}");

    // In a plain database, the statements make a leads table a search finds leads in.
    let other = rusqlite::Connection::open_in_memory().unwrap();
    for sql in &schema {
        other.execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    other
        .execute_batch(
            "INSERT INTO leads (seq, id, source, external_id, created_at, added_at, updated_at, full_name) \
             VALUES (1, 'x', 'import', '1', 0, 0, 0, 'Ada');
             INSERT INTO leads_fts (rowid, full_name) SELECT sort_key, full_name FROM leads;",
        )
        .unwrap();
    let found: i64 = other.query_row("SELECT count(*) FROM leads_fts('ad*')", [], |r| r.get(0)).unwrap();
    assert_eq!(found, 1);
    let indexes: i64 = other
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'leads'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(indexes >= 8, "{indexes} indexes on leads");
}
