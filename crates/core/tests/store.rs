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
