//! The certificates the TLS listener serves: a local CA (generated at start, or kept in
//! `--tls-ca-dir` and reused) and a leaf it issues for every name the emulator answers
//! to, or the user's own `--tls-cert`/`--tls-key`.
//!
//! Keys are ECDSA P-256 (fast to generate: the leaf is issued at every start). Private
//! keys are only ever written to the CA directory's key file (mode 0600) and handed
//! to rustls; no type here prints one.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::{
    ServerConfig,
    client::danger::ServerCertVerifier,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject},
};
use sha2::{Digest, Sha256};

/// The CA certificate's file name in `--tls-ca-dir`.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA private key's file name in `--tls-ca-dir` (mode 0600).
pub const CA_KEY_FILE: &str = "ca-key.pem";

/// How long a new CA is valid, in days (about ten years).
const CA_DAYS: i64 = 3650;
/// How long a leaf is valid, in days: the most that browsers and Apple clients accept.
const LEAF_DAYS: i64 = 397;

/// The emulator's own certificate authority.
pub struct LocalCa {
    cert_pem: String,
    key: KeyPair,
}

impl LocalCa {
    /// A fresh CA, kept in memory only.
    pub fn generate() -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("generating the CA key")?;
        let mut params = ca_params(&key);
        valid_for(&mut params, CA_DAYS);
        let cert = params.self_signed(&key).context("signing the CA certificate")?;
        Ok(Self { cert_pem: cert.pem(), key })
    }

    /// The CA kept in `dir` (`ca.pem`, `ca-key.pem`), created there when absent.
    pub fn open_or_create(dir: &Path) -> anyhow::Result<Self> {
        let (cert_path, key_path) = (dir.join(CA_CERT_FILE), dir.join(CA_KEY_FILE));
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => Self::open(&cert_path, &key_path),
            (false, false) => {
                let ca = Self::generate()?;
                ca.save(dir)?;
                Ok(ca)
            }
            (true, false) => bail!("--tls-ca-dir {}: {CA_CERT_FILE} is there but not {CA_KEY_FILE}", dir.display()),
            (false, true) => bail!("--tls-ca-dir {}: {CA_KEY_FILE} is there but not {CA_CERT_FILE}", dir.display()),
        }
    }

    fn open(cert_path: &Path, key_path: &Path) -> anyhow::Result<Self> {
        let cert_pem = fs::read_to_string(cert_path).with_context(|| format!("reading {}", cert_path.display()))?;
        let key_pem = fs::read_to_string(key_path).with_context(|| format!("reading {}", key_path.display()))?;
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|_| anyhow::anyhow!("{} is not a PEM private key rcgen can sign with", key_path.display()))?;
        let ca = Self { cert_pem, key };
        // The issuer is rebuilt from the key (the subject name is derived from it), so a
        // certificate that is not this emulator's CA for that key would issue leaves no
        // client accepts: check that the pair issues a leaf its certificate verifies.
        let leaf = ca.issue_leaf(&["localhost".to_owned()])?;
        verify_leaf(&ca.cert_pem, &leaf.0, "localhost").with_context(|| {
            format!(
                "{} and {} are not a CA made by vendor-emulator for that key; remove both to make a new one",
                cert_path.display(),
                key_path.display()
            )
        })?;
        Ok(ca)
    }

    /// Writes the certificate (0644) and the key (0600) into `dir`, creating it.
    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("creating --tls-ca-dir {}", dir.display()))?;
        write_new(&dir.join(CA_KEY_FILE), self.key.serialize_pem().as_bytes(), 0o600)?;
        write_new(&dir.join(CA_CERT_FILE), self.cert_pem.as_bytes(), 0o644)?;
        Ok(())
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A leaf for `names` (host names and IP addresses), signed by this CA: its DER and key.
    pub fn issue_leaf(&self, names: &[String]) -> anyhow::Result<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
        let key = KeyPair::generate().context("generating the leaf key")?;
        let mut params = CertificateParams::new(names.to_vec()).context("the leaf's names")?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, "vendor-emulator");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        valid_for(&mut params, LEAF_DAYS);
        let issuer = Issuer::new(ca_params(&self.key), &self.key);
        let cert = params.signed_by(&key, &issuer).context("signing the leaf certificate")?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok((cert.into(), key))
    }
}

/// The CA's parameters: its subject names the key's fingerprint, so the issuer can be
/// rebuilt from the key alone when the CA is reused.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let fingerprint = hex::encode(&Sha256::digest(key.public_key_raw())[..6]);
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::OrganizationName, "vendor-emulator");
    params.distinguished_name.push(DnType::CommonName, format!("vendor-emulator local CA {fingerprint}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params
}

/// Valid from midnight UTC yesterday to `days` days from today: wall time, since clients
/// check validity against their own clock, not the emulator's.
fn valid_for(params: &mut CertificateParams, days: i64) {
    let midnight = |offset: i64| {
        let day = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * offset);
        let date = day.to_zoned(jiff::tz::TimeZone::UTC).date();
        rcgen::date_time_ymd(i32::from(date.year()), date.month().unsigned_abs(), date.day().unsigned_abs())
    };
    params.not_before = midnight(-1);
    params.not_after = midnight(days);
}

/// Creates `path` with `mode` (never overwriting), writes `bytes`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Checks that `leaf` chains to the CA in `ca_pem` for `name`.
fn verify_leaf(ca_pem: &str, leaf: &CertificateDer<'_>, name: &str) -> anyhow::Result<()> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.context("the CA certificate is not PEM")?).context("the CA certificate")?;
    }
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .context("building a verifier")?;
    let name = rustls::pki_types::ServerName::try_from(name.to_owned()).context("server name")?;
    verifier
        .verify_server_cert(leaf, &[], &name, &[], rustls::pki_types::UnixTime::now())
        .map_err(|e| anyhow::anyhow!("the leaf does not verify: {e}"))?;
    Ok(())
}

/// What the TLS listener serves, and the CA a client should trust (when it is ours).
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca_pem: Option<String>,
}

/// Where the served certificate comes from.
pub enum Source<'a> {
    /// A CA generated now, kept in memory.
    Ephemeral,
    /// The CA kept in this directory.
    CaDir(&'a Path),
    /// The user's own chain and key files.
    Files { cert: &'a Path, key: &'a Path },
}

impl Identity {
    /// The certificate to serve for `names` (host names and IP addresses).
    pub fn load(source: &Source<'_>, names: &[String]) -> anyhow::Result<Self> {
        let ca = match source {
            Source::Files { cert, key } => return Self::from_files(cert, key),
            Source::Ephemeral => LocalCa::generate()?,
            Source::CaDir(dir) => LocalCa::open_or_create(dir)?,
        };
        let (leaf, key) = ca.issue_leaf(names)?;
        let ca_der = CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).context("the CA certificate")?;
        Ok(Self { chain: vec![leaf, ca_der], key, ca_pem: Some(ca.cert_pem) })
    }

    fn from_files(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| anyhow::anyhow!("--tls-cert {}: {e}", cert.display()))?;
        if chain.is_empty() {
            bail!("--tls-cert {}: no PEM certificate in it", cert.display());
        }
        // The error names the file only: a key's bytes never reach a message.
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|_| anyhow::anyhow!("--tls-key {}: no readable PEM private key in it", key.display()))?;
        Ok(Self { chain, key, ca_pem: None })
    }

    /// The emulator CA's certificate (PEM); `None` when serving `--tls-cert`.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The rustls server configuration: HTTP/2 and HTTP/1.1 offered by ALPN.
    pub fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| anyhow::anyhow!("the TLS certificate and key do not go together: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Every name the leaf covers: the given host names, then `localhost` and the loopback addresses.
pub fn leaf_names(hosts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in hosts.into_iter().chain(["localhost", "127.0.0.1", "::1"].map(str::to_owned)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The path of the CA certificate in a CA directory.
pub fn ca_cert_path(dir: &Path) -> PathBuf {
    dir.join(CA_CERT_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_from_a_fresh_ca_verifies_for_every_name() {
        let ca = LocalCa::generate().unwrap();
        let names = leaf_names(["api.propal.io".to_owned(), "propal.local".to_owned()]);
        let (leaf, _) = ca.issue_leaf(&names).unwrap();
        for name in ["api.propal.io", "propal.local", "localhost", "127.0.0.1", "::1"] {
            verify_leaf(ca.cert_pem(), &leaf, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(verify_leaf(ca.cert_pem(), &leaf, "example.com").is_err());
    }

    #[test]
    fn a_kept_ca_is_reused_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalCa::open_or_create(dir.path()).unwrap();
        let again = LocalCa::open_or_create(dir.path()).unwrap();
        assert_eq!(first.cert_pem(), again.cert_pem());
        let (leaf, _) = again.issue_leaf(&["localhost".to_owned()]).unwrap();
        verify_leaf(first.cert_pem(), &leaf, "localhost").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(CA_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_foreign_certificate_next_to_the_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        LocalCa::open_or_create(dir.path()).unwrap();
        let other = LocalCa::generate().unwrap();
        fs::write(dir.path().join(CA_CERT_FILE), other.cert_pem()).unwrap();
        let error = LocalCa::open_or_create(dir.path()).err().expect("refused").to_string();
        assert!(error.contains("not a CA made by vendor-emulator"), "{error}");
    }

    #[test]
    fn half_a_ca_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        LocalCa::open_or_create(dir.path()).unwrap();
        fs::remove_file(dir.path().join(CA_KEY_FILE)).unwrap();
        let error = LocalCa::open_or_create(dir.path()).err().expect("refused").to_string();
        assert!(error.contains("ca.pem is there but not ca-key.pem"), "{error}");
    }
}
