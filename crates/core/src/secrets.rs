//! Key material and the OS keychain. Secrets live in types whose `Debug` prints `***` and that
//! wipe their memory on drop; nothing here is ever logged.

use std::fmt;
use std::num::NonZeroU32;

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The keychain service under which every Leadvault secret is filed.
pub const KEYCHAIN_SERVICE: &str = "leadvault";

/// PBKDF2-HMAC-SHA256 rounds for a passphrase (OWASP's 2023 figure). Derived once per process:
/// SQLCipher then gets a raw key and skips its own KDF on every connection.
const PASSPHRASE_ROUNDS: u32 = 600_000;

/// The 32-byte key SQLCipher encrypts the vault with.
#[derive(Clone)]
pub struct VaultKey(Zeroizing<[u8; 32]>);

impl VaultKey {
    /// Whether both are the same key (a new passphrase that is the current one).
    pub(crate) fn same_as(&self, other: &VaultKey) -> bool {
        self.0.as_ref() == other.0.as_ref()
    }

    /// 32 bytes from the operating system's CSPRNG.
    pub fn generate() -> Result<VaultKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(key.as_mut())
            .map_err(|_| Error::invalid("the operating system's random number generator failed"))?;
        Ok(VaultKey(key))
    }

    /// Stretches a passphrase with the vault's salt (SQLCipher's own, from the file header).
    pub fn derive(passphrase: &Passphrase, salt: &[u8; 16]) -> VaultKey {
        let mut key = Zeroizing::new([0u8; 32]);
        ring::pbkdf2::derive(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(PASSPHRASE_ROUNDS).expect("non-zero"),
            salt,
            passphrase.key_text().as_bytes(),
            key.as_mut(),
        );
        VaultKey(key)
    }

    /// SQLCipher's raw-key literal with an explicit salt: `"x'<key hex><salt hex>'"`.
    pub(crate) fn sqlcipher_literal(&self, salt: &[u8; 16]) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(100));
        s.push_str("\"x'");
        s.push_str(&hex::encode(self.0.as_ref()));
        s.push_str(&hex::encode(salt));
        s.push_str("'\"");
        s
    }

    fn to_keychain_secret(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(hex::encode(self.0.as_ref()).into_bytes())
    }

    fn from_keychain_secret(secret: &[u8]) -> Option<VaultKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(secret, key.as_mut()).ok()?;
        Some(VaultKey(key))
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey(***)")
    }
}

/// A passphrase the owner chose. Never printed, wiped on drop.
///
/// Its key is derived from its Unicode NFC form: "é" typed as one character (Windows, Linux)
/// or as "e" and an accent (macOS, some keyboards) opens the same vault.
#[derive(Clone)]
pub struct Passphrase {
    text: Zeroizing<String>,
    /// Keyed as typed, not in NFC: a vault made before passphrases were normalised.
    as_typed: bool,
}

impl Passphrase {
    pub fn new(s: impl Into<String>) -> Result<Passphrase> {
        let p = Passphrase::typed(s);
        if p.text.trim().chars().count() < 8 {
            return Err(Error::PassphraseTooShort);
        }
        Ok(p)
    }

    /// A passphrase typed to open an existing vault: taken as it is, whatever its length (a
    /// wrong one is refused as a wrong key, not as too short, which would be misleading).
    pub fn typed(s: impl Into<String>) -> Passphrase {
        Passphrase { text: Zeroizing::new(s.into()), as_typed: false }
    }

    /// The same passphrase keyed as typed, when that differs from its NFC form: what opens a
    /// vault whose passphrase was chosen before passphrases were normalised.
    pub(crate) fn keyed_as_typed(&self) -> Option<Passphrase> {
        (!self.as_typed && *self.nfc() != *self.text)
            .then(|| Passphrase { text: self.text.clone(), as_typed: true })
    }

    fn nfc(&self) -> Zeroizing<String> {
        use unicode_normalization::UnicodeNormalization;
        Zeroizing::new(self.text.nfc().collect())
    }

    /// What the key is derived from.
    fn key_text(&self) -> Zeroizing<String> {
        if self.as_typed { self.text.clone() } else { self.nfc() }
    }

    /// Whether `other` is the same passphrase (in NFC, or exactly as typed), compared in time
    /// that does not depend on where they differ.
    pub fn matches(&self, other: &Passphrase) -> bool {
        let same = |a: &[u8], b: &[u8]| {
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
        };
        same(self.nfc().as_bytes(), other.nfc().as_bytes())
            || same(self.text.as_bytes(), other.text.as_bytes())
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// 16 random bytes: the salt of a new vault.
pub(crate) fn random_salt() -> Result<[u8; 16]> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| Error::invalid("the operating system's random number generator failed"))?;
    Ok(salt)
}

/// Where vault keys and connection secrets are kept. The real one is the OS keychain; the trait
/// keeps the vault's code independent of the platform's store.
pub trait KeyStore: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<VaultKey>>;
    fn set(&self, account: &str, key: &VaultKey) -> Result<()>;
    fn delete(&self, account: &str) -> Result<()>;

    /// Any other secret (a connection's tokens), as text. Stores that keep only vault keys
    /// refuse it.
    fn get_text(&self, _account: &str) -> Result<Option<Zeroizing<String>>> {
        Err(Error::KeychainUnavailable { reason: "this key store keeps vault keys only".into() })
    }
    fn set_text(&self, _account: &str, _secret: &str) -> Result<()> {
        Err(Error::KeychainUnavailable { reason: "this key store keeps vault keys only".into() })
    }
}

/// A secret string (an access token, a refresh token, a client secret): never printed, wiped
/// on drop. Read it with [`Secret::expose`] at the one place that sends it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The operating system's keychain: the freedesktop Secret Service on Linux (GNOME Keyring,
/// KWallet). Items are filed under service `leadvault`, one account per vault.
///
/// Each call opens its own D-Bus connection and closes it before returning: the blocking D-Bus
/// client must be created and dropped off the async runtime, and calls are rare (one per open).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

impl OsKeychain {
    pub fn new() -> OsKeychain {
        OsKeychain
    }

    #[cfg(target_os = "linux")]
    fn entry(&self, account: &str) -> Result<keyring_core::Entry> {
        use keyring_core::api::CredentialStoreApi;
        let store = zbus_secret_service_keyring_store::Store::new().map_err(unavailable)?;
        store.build(KEYCHAIN_SERVICE, account, None).map_err(unavailable)
    }

    #[cfg(not(target_os = "linux"))]
    fn entry(&self, _account: &str) -> Result<keyring_core::Entry> {
        Err(Error::KeychainUnavailable {
            reason: "this build has no keychain support for this operating system yet".into(),
        })
    }
}

/// Says why the keychain could not be reached without echoing anything stored in it.
fn unavailable(e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    let reason = match e {
        K::NoStorageAccess(_) => "the keychain is locked or refused access".to_string(),
        K::PlatformFailure(inner) => {
            let text = inner.to_string();
            if text.contains("ServiceUnknown") || text.contains("org.freedesktop.secrets") {
                "no Secret Service is running".to_string()
            } else if text.contains("DBUS_SESSION_BUS_ADDRESS")
                || text.contains("dbus")
                || text.contains("D-Bus")
            {
                "no D-Bus session".to_string()
            } else {
                "the Secret Service failed".to_string()
            }
        }
        _ => "the keychain failed".to_string(),
    };
    Error::KeychainUnavailable { reason }
}

impl OsKeychain {
    /// Runs `op` on the entry for `account`; a failure of the Secret Service itself (its daemon
    /// restarting under the call, a D-Bus hiccup) is tried once more after a moment. A locked
    /// keychain or a missing entry is an answer, not a failure, and is not retried.
    fn with_entry<T>(
        &self,
        account: &str,
        op: impl Fn(&keyring_core::Entry) -> std::result::Result<T, keyring_core::Error>,
    ) -> Result<std::result::Result<T, keyring_core::Error>> {
        let attempt = || self.entry(account).map(|e| op(&e));
        match attempt() {
            Ok(Err(keyring_core::Error::PlatformFailure(_))) | Err(Error::KeychainUnavailable { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(250));
                attempt()
            }
            done => done,
        }
    }
}

impl KeyStore for OsKeychain {
    fn get(&self, account: &str) -> Result<Option<VaultKey>> {
        match self.with_entry(account, |e| e.get_secret())? {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                Ok(VaultKey::from_keychain_secret(&secret))
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, account: &str, key: &VaultKey) -> Result<()> {
        let secret = key.to_keychain_secret();
        self.with_entry(account, |e| e.set_secret(&secret))?.map_err(unavailable)
    }

    fn delete(&self, account: &str) -> Result<()> {
        match self.with_entry(account, |e| e.delete_credential())? {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn get_text(&self, account: &str) -> Result<Option<Zeroizing<String>>> {
        match self.with_entry(account, |e| e.get_secret())? {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                Ok(std::str::from_utf8(&secret).ok().map(|s| Zeroizing::new(s.to_string())))
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set_text(&self, account: &str, secret: &str) -> Result<()> {
        self.with_entry(account, |e| e.set_secret(secret.as_bytes()))?.map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let key = VaultKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "VaultKey(***)");
        let p = Passphrase::new("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Passphrase(***)");
        let s = Secret::new("pat-na1-planted");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "pat-na1-planted");
    }

    #[test]
    fn a_passphrase_derives_the_same_key_with_the_same_salt_only() {
        let p = Passphrase::new("correct horse battery").unwrap();
        let a = VaultKey::derive(&p, &[1; 16]);
        let b = VaultKey::derive(&p, &[1; 16]);
        let c = VaultKey::derive(&p, &[2; 16]);
        assert_eq!(a.0.as_ref(), b.0.as_ref());
        assert_ne!(a.0.as_ref(), c.0.as_ref());
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert!(matches!(Passphrase::new("short"), Err(Error::PassphraseTooShort)));
    }
}
