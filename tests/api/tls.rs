//! `--tls-bind` over real sockets: a client that trusts only the emulator's CA and
//! resolves the vendors' real host names to 127.0.0.1 calls each vendor's fixed
//! `https://` base URL unchanged (Portal.io signed for `https`); a client without
//! the CA, an unknown SNI, plain HTTP on the TLS port, a kept CA across a restart,
//! a user certificate, HTTP/2 by ALPN, the listening line, `healthcheck --tls` and
//! `tls ca`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::{Certificate, Client, Version, tls::TlsInfo};
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt, sync::oneshot, task::JoinHandle};
use vendor_emulator::{Config, app, build_app};

use crate::{
    helpers::TestApp,
    portalio::signer::{ALEX, DATE, NOW, canonical, hmac_b64},
};

const PROPAL: &str = "api.propal.io";
const PORTALIO: &str = "sandbox.api.portal.io";
const HOLM: &str = "portal-api.holmsecurity.com";
/// A fixture Propal key with every scope.
const PROPAL_KEY: &str = "pp_live_376e4e7ed5a323c6Fxfull_a";
/// The fixture Holm organizer key and API key.
const HOLM_ORG_KEY: &str = "hsp_org_N0rdsecOrgKey7Qx2Lm9Pz4Rt";
const HOLM_API_KEY: &str = "hsp_NsDevK4Qw6Er8Ty0Ui2Op4As6";

/// An emulator served in-process on ephemeral ports, with a TLS listener.
struct Served {
    tls: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl Served {
    async fn start(extra: &[&str]) -> Self {
        let mut args = vec!["--bind", "127.0.0.1:0", "--tls-bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let config = Config::from_args(args);
        let listeners = app::bind(&config).await.expect("bind");
        let tls = listeners.tls.as_ref().expect("a TLS listener").local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app::serve(build_app(config).expect("app"), listeners, async {
            let _ = stopped.await;
        }));
        Self { tls, stop, server }
    }

    /// `https://<host>:<tls port><path>`.
    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.tls.port())
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.expect("server task").expect("served");
    }
}

/// A client that trusts only `trusted` (PEM), with every vendor host and `unknown.example` at `tls`.
fn client_trusting(trusted: Option<&str>, tls: SocketAddr) -> reqwest::ClientBuilder {
    let mut builder = Client::builder().tls_built_in_root_certs(trusted.is_none()).tls_info(true);
    for host in [PROPAL, PORTALIO, HOLM, "unknown.example", "localhost"] {
        builder = builder.resolve(host, tls);
    }
    for cert in trusted.map(|pem| Certificate::from_pem_bundle(pem.as_bytes()).unwrap()).unwrap_or_default() {
        builder = builder.add_root_certificate(cert);
    }
    builder
}

/// The emulator's CA, as its control plane serves it over plain HTTP's twin: TLS on `localhost`.
async fn emulator_ca(served: &Served) -> String {
    // Fetching the CA must not need the CA: this one request skips verification.
    let insecure = client_trusting(None, served.tls).danger_accept_invalid_certs(true).build().unwrap();
    let response = insecure.get(served.url("localhost", "/_emulator/tls/ca.pem")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-pem-file");
    let pem = response.text().await.unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    pem
}

/// The DER of the certificate the server presented.
fn served_certificate(response: &reqwest::Response) -> Vec<u8> {
    let info = response.extensions().get::<TlsInfo>().expect("tls info");
    info.peer_certificate().expect("a peer certificate").to_vec()
}

/// Every error in the chain, for assertions on why a request failed.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(" / ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A Portal.io GET sent to `base` + `path`, signed as the docs describe for `signed_base` + `path`.
fn portalio_get(client: &Client, base: &str, signed_base: &str, path: &str, creds: &Value) -> reqwest::RequestBuilder {
    let portalio = &creds["portalio"];
    let user = portalio["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["users"].as_array().unwrap().iter())
        .find(|u| u["username"] == ALEX)
        .expect("fixture user");
    let (app_id, secret) =
        (portalio["apps"][0]["app_id"].as_str().unwrap(), portalio["apps"][0]["secret_key"].as_str().unwrap());
    let user_key = user["user_key"].as_str().unwrap();
    let signed = format!("{signed_base}{path}");
    let signature = hmac_b64(secret.as_bytes(), &canonical("GET", &signed, None, DATE, Some(user_key)));
    client
        .get(format!("{base}{path}"))
        .header("accept", "application/json")
        .header("x-mss-api-appid", app_id)
        .header("x-mss-api-userkey", user_key)
        .header("x-mss-custom-date", DATE)
        .header("x-mss-signature", signature)
}

#[tokio::test]
async fn a_client_trusting_the_ca_calls_every_vendor_on_its_real_https_host_unchanged() {
    let served = Served::start(&[]).await;
    let ca = emulator_ca(&served).await;
    let client = client_trusting(Some(&ca), served.tls).build().unwrap();

    // The control plane on localhost, over TLS: freeze the clock at the docs' date, read the credentials.
    for body in [json!({"freeze": true}), json!({"set": NOW})] {
        let r = client.post(served.url("localhost", "/_emulator/clock")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let creds: Value =
        client.get(served.url("localhost", "/_emulator/credentials")).send().await.unwrap().json().await.unwrap();
    // Over HTTP/2 (no Host header, only `:authority`), a document's servers name this listener, https.
    let doc = client.get(served.url("localhost", "/_emulator/openapi/propal.json")).send().await.unwrap();
    assert_eq!(doc.version(), Version::HTTP_2);
    let doc: Value = doc.json().await.unwrap();
    assert_eq!(doc["servers"][0]["url"], served.url("localhost", "/propal"), "{}", doc["servers"]);

    let propal = client.get(served.url(PROPAL, "/v1/templates")).bearer_auth(PROPAL_KEY).send().await.unwrap();
    assert_eq!(propal.status(), 200);
    assert_eq!(propal.version(), Version::HTTP_2, "HTTP/2 negotiated by ALPN");
    let body: Value = propal.json().await.unwrap();
    assert!(body["data"].is_array(), "{body}");

    // Signed over https://sandbox.api.portal.io:<port>, the URL the client sends to.
    let base = served.url(PORTALIO, "");
    let portalio = portalio_get(&client, &base, &base, "/public/users", &creds).send().await.unwrap();
    let status = portalio.status();
    let text = portalio.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    // The same request signed for http:// is refused: the scheme comes from the connection.
    let http_base = base.replacen("https://", "http://", 1);
    let refused = portalio_get(&client, &base, &http_base, "/public/users", &creds).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let explain = refused.headers()["x-emulator-explain"].to_str().unwrap().to_owned();
    assert!(explain.contains("scheme"), "{explain}");

    let holm = client
        .post(served.url(HOLM, "/v1/auth/session"))
        .json(&json!({ "organizer_key": HOLM_ORG_KEY, "api_key": HOLM_API_KEY }))
        .send()
        .await
        .unwrap();
    assert_eq!(holm.status(), 201);
    let session: Value = holm.json().await.unwrap();
    assert!(session["session_token"].is_string(), "{session}");

    // An HTTP/1.1-only client is served too.
    let http1 = client_trusting(Some(&ca), served.tls).http1_only().build().unwrap();
    let r = http1.get(served.url(PROPAL, "/v1/templates")).bearer_auth(PROPAL_KEY).send().await.unwrap();
    assert_eq!((r.status(), r.version()), (reqwest::StatusCode::OK, Version::HTTP_11));
    served.stop().await;
}

#[tokio::test]
async fn a_client_without_the_ca_is_refused_by_its_own_tls_check() {
    let served = Served::start(&[]).await;
    let client = client_trusting(None, served.tls).build().unwrap();
    let error = client.get(served.url(PROPAL, "/v1/templates")).send().await.expect_err("untrusted");
    let why = chain(&error);
    assert!(why.contains("certificate"), "{why}");
    served.stop().await;
}

#[tokio::test]
async fn an_unknown_sni_completes_the_handshake_and_gets_the_unknown_route_answer() {
    let served = Served::start(&[]).await;
    let ca = emulator_ca(&served).await;
    // The default leaf does not name unknown.example, so this client checks the chain but not the name.
    let client = client_trusting(Some(&ca), served.tls).danger_accept_invalid_certs(true).build().unwrap();
    let response =
        tokio::time::timeout(Duration::from_secs(5), client.get(served.url("unknown.example", "/v1/templates")).send())
            .await
            .expect("no handshake hang")
            .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unknown route", "{body}");
    served.stop().await;
}

#[tokio::test]
async fn a_ca_kept_in_tls_ca_dir_is_the_same_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    let ca_dir = ca_dir.to_str().unwrap();
    let first = Served::start(&["--tls-ca-dir", ca_dir]).await;
    let ca = emulator_ca(&first).await;
    first.stop().await;
    assert_eq!(std::fs::read_to_string(dir.path().join("ca/ca.pem")).unwrap(), ca);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ca/ca-key.pem")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the CA key is readable by its owner only");
    }

    let second = Served::start(&["--tls-ca-dir", ca_dir]).await;
    assert_eq!(emulator_ca(&second).await, ca);
    // A client that trusted the CA once still trusts the new leaf.
    let client = client_trusting(Some(&ca), second.tls).build().unwrap();
    let r = client.get(second.url(PROPAL, "/v1/templates")).bearer_auth(PROPAL_KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    second.stop().await;
}

#[tokio::test]
async fn a_user_certificate_given_by_flags_is_the_one_served() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let user_ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![PROPAL.to_owned()]).unwrap().signed_by(&leaf_key, &user_ca).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, leaf.pem()).unwrap();
    std::fs::write(&key_file, leaf_key.serialize_pem()).unwrap();

    let served =
        Served::start(&["--tls-cert", cert_file.to_str().unwrap(), "--tls-key", key_file.to_str().unwrap()]).await;
    let client = client_trusting(Some(&user_ca.pem()), served.tls).build().unwrap();
    let r = client.get(served.url(PROPAL, "/v1/templates")).bearer_auth(PROPAL_KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(served_certificate(&r), leaf.der().to_vec(), "the user's certificate is served");
    let insecure = client_trusting(None, served.tls).danger_accept_invalid_certs(true).build().unwrap();
    let r = insecure.get(served.url("localhost", "/_emulator/tls/ca.pem")).send().await.unwrap();
    assert_eq!(r.status(), 404, "no emulator CA when serving the user's certificate");
    served.stop().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_a_clear_error_and_the_listener_keeps_serving() {
    let served = Served::start(&[]).await;
    let ca = emulator_ca(&served).await;
    // A client that connects and says nothing holds a handshake task, not the accept loop.
    let _silent = tokio::net::TcpStream::connect(served.tls).await.unwrap();
    let mut plain = tokio::net::TcpStream::connect(served.tls).await.unwrap();
    plain.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), tokio::io::AsyncReadExt::read_to_string(&mut plain, &mut answer))
        .await
        .expect("answered, not stalled")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
    assert!(answer.ends_with(r#"{"error":"this port speaks HTTPS: send the request over TLS (https://), or plain HTTP to the main listener (--bind)"}"#), "{answer}");

    let client = client_trusting(Some(&ca), served.tls).build().unwrap();
    let r =
        tokio::time::timeout(Duration::from_secs(5), client.get(served.url("localhost", "/_emulator/health")).send())
            .await
            .expect("the next TLS client is served")
            .unwrap();
    assert_eq!(r.status(), 200);
    served.stop().await;
}

#[tokio::test]
async fn the_ca_route_is_documented_open_and_absent_without_tls() {
    let app = TestApp::with_args(&["--tls-bind", "127.0.0.1:0", "--admin-token", "secret"]);
    let r = app.get("/_emulator/tls/ca.pem").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/x-pem-file"));
    assert!(
        r.text.starts_with("-----BEGIN CERTIFICATE-----\n") && r.text.trim_end().ends_with("-----END CERTIFICATE-----")
    );
    assert!(!r.text.contains("PRIVATE KEY"));
    assert_eq!(r.documented_path.as_deref(), Some("/_emulator/tls/ca.pem"));

    let r = TestApp::new().get("/_emulator/tls/ca.pem").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.text, r#"{"error":"no TLS listener: start with --tls-bind"}"#);
}

/// The binary with no `EMULATOR_*` variables inherited from the environment.
fn binary(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vendor-emulator"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EMULATOR_") {
            command.env_remove(name);
        }
    }
    command.args(args);
    command
}

/// Kills the started binary when the test ends, however it ends.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_listening_line_names_the_tls_address_and_healthcheck_and_tls_ca_use_it() {
    let dir = tempfile::tempdir().unwrap();
    let run_file = dir.path().join("run.json");
    let (run, ca_dir) = (run_file.to_str().unwrap(), dir.path().join("ca"));
    let ca_dir = ca_dir.to_str().unwrap();
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let mut child = binary(&[
        "--bind",
        "127.0.0.1:0",
        "--tls-bind",
        "127.0.0.1:0",
        "--tls-ca-dir",
        ca_dir,
        "--run-file",
        run,
        "--log-level",
        "trace",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(log)
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let started = Started(child);
    let listening: Value = serde_json::from_str(&line).unwrap();
    let tls: SocketAddr = listening["tls"].as_str().expect("the TLS address").parse().unwrap();
    assert_ne!(tls.port(), 0);

    let healthy = binary(&["healthcheck", "--tls", "--run-file", run]).status().unwrap();
    assert!(healthy.success(), "healthcheck --tls against the running server");
    // Trusting another CA, the check fails.
    let other = tempfile::tempdir().unwrap();
    let other_dir = other.path().to_str().unwrap();
    let output = binary(&["healthcheck", "--tls", "--run-file", run, "--tls-ca-dir", other_dir]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unhealthy"), "{output:?}");

    let printed = binary(&["tls", "ca", "--run-file", run]).output().unwrap();
    assert!(printed.status.success(), "{printed:?}");
    let kept = std::fs::read_to_string(dir.path().join("ca/ca.pem")).unwrap();
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), kept, "tls ca prints the running server's CA");
    let printed = binary(&["tls", "ca", "--tls-ca-dir", ca_dir]).output().unwrap();
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), kept, "tls ca --tls-ca-dir prints the kept CA");

    drop(started);
    let mut logged = String::new();
    std::fs::File::open(dir.path().join("stderr.log")).unwrap().read_to_string(&mut logged).unwrap();
    let key = std::fs::read_to_string(dir.path().join("ca/ca-key.pem")).unwrap();
    let key_body = key.lines().nth(1).expect("a PEM body line");
    assert!(!logged.contains("PRIVATE KEY") && !logged.contains(key_body), "no private key in the log");
    let _ = std::io::stdout().flush();
}
