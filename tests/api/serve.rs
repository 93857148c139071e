//! End to end, with the real binary (CONTRACT §2): the one listening line with
//! real ports, the main and a dedicated listener over real sockets, the
//! `healthcheck` subcommand, and a clean exit on SIGTERM. Few and fast: each test
//! starts at most one process, on ports the OS picks; a test of the served sockets
//! alone starts an in-process emulator instead (`harness::Emulator`).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::Value;
use vendor_emulator::{harness::Emulator, journal::Filter};

const BINARY: &str = env!("CARGO_BIN_EXE_vendor-emulator");

/// The binary with no `EMULATOR_*` variables inherited from the environment running the tests.
pub(crate) fn emulator_command() -> Command {
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EMULATOR_") {
            command.env_remove(name);
        }
    }
    command
}

/// A started emulator; killed on drop if the test did not stop it.
pub(crate) struct Running {
    pub(crate) child: Arc<Mutex<Child>>,
    pid: String,
    pub(crate) listening: Value,
}

impl Running {
    pub(crate) fn start(args: &[&str]) -> Self {
        Self::start_with(args, &[], Stdio::null())
    }

    /// With `EMULATOR_*` variables and a chosen stderr.
    pub(crate) fn start_with(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut child = emulator_command()
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let listening = serde_json::from_str(&line).unwrap_or_else(|e| panic!("listening line {line:?}: {e}"));
        let pid = child.id().to_string();
        Self { child: Arc::new(Mutex::new(child)), pid, listening }
    }

    pub(crate) fn addr(&self) -> &str {
        self.listening["addr"].as_str().expect("addr")
    }

    /// Sends SIGTERM and waits (bounded) for the process to exit.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let pid = self.pid.clone();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(kill.success(), "kill -TERM {pid} failed");
        // Wait for the exit on a helper thread, bounded: a hung shutdown fails the test.
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let child = Arc::clone(&self.child);
        std::thread::spawn(move || {
            let status = child.lock().unwrap().wait();
            let _ = done_tx.send(status);
        });
        if let Ok(status) = done_rx.recv_timeout(Duration::from_secs(5)) {
            return status.expect("wait");
        }
        panic!("the emulator did not exit within 5 s of SIGTERM");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let Ok(mut child) = self.child.try_lock() else {
            // A hung shutdown still holds the child in the waiting thread: kill it by pid.
            let _ = Command::new("kill").args(["-KILL", &self.pid]).status();
            return;
        };
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn client() -> Client<HttpConnector, Body> {
    Client::builder(TokioExecutor::new()).build_http()
}

pub(crate) async fn get(
    client: &Client<HttpConnector, Body>,
    url: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = Request::get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client.request(request.body(Body::empty()).unwrap()).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn healthcheck(url: &str) -> ExitStatus {
    run_binary(&["healthcheck", "--url", url], &[])
}

/// Runs the binary to its exit, output discarded.
fn run_binary(args: &[&str], env: &[(&str, &str)]) -> ExitStatus {
    emulator_command()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("healthcheck runs")
}

#[tokio::test]
async fn the_binary_announces_its_ports_serves_both_listeners_and_exits_cleanly_on_sigterm() {
    let mut emulator = Running::start(&["--bind", "127.0.0.1:0", "--propal-bind", "127.0.0.1:0"]);
    let line = emulator.listening.clone();
    assert_eq!(line["event"], "listening", "{line}");
    assert_eq!(line["admin"], "/_emulator", "{line}");
    assert_eq!(line["ui"], "/_emulator/ui", "{line}");
    assert_eq!(line["vendors"]["propal"], "/propal", "{line}");
    let main: std::net::SocketAddr = emulator.addr().parse().expect("addr is a socket address");
    let dedicated: std::net::SocketAddr =
        line["dedicated"]["propal"].as_str().expect("dedicated propal addr").parse().expect("a socket address");
    assert_ne!(main.port(), 0);
    assert_ne!(dedicated.port(), 0);
    assert_ne!(main, dedicated);
    let client = client();

    let (status, health) = get(&client, &format!("http://{main}/_emulator/health"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "ok");

    let (_, creds) = get(&client, &format!("http://{main}/_emulator/credentials"), &[]).await;
    let key = creds["propal"]["keys"]
        .as_array()
        .expect("propal keys")
        .iter()
        .find(|k| k["name"] == "Internal tools (full access)")
        .expect("the full-access fixture key")["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = format!("Bearer {key}");
    let (status, organization) =
        get(&client, &format!("http://{dedicated}/v1/organization"), &[("authorization", &auth)]).await;
    assert_eq!(status, StatusCode::OK, "{organization}");
    assert!(organization["id"].is_string(), "{organization}");
    let (status, _) = get(&client, &format!("http://{dedicated}/_emulator/health"), &[("authorization", &auth)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, journal) = get(&client, &format!("http://{main}/_emulator/journal?vendor=propal&status=200"), &[]).await;
    let entry = &journal["entries"][0];
    assert_eq!(entry["path"], "/v1/organization", "{journal}");
    assert_eq!(entry["client_ip"], "127.0.0.1", "the socket peer is the client IP: {journal}");
    drop(client);

    let health_url = format!("http://{main}/_emulator/health");
    let checked = tokio::task::spawn_blocking(move || healthcheck(&health_url)).await.unwrap();
    assert_eq!(checked.code(), Some(0), "healthcheck against a running emulator");

    let status = tokio::task::spawn_blocking(move || emulator.terminate()).await.unwrap();
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM: {status}");
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_listens() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let addr = closed.local_addr().unwrap();
    drop(closed);

    let status =
        tokio::task::spawn_blocking(move || healthcheck(&format!("http://{addr}/_emulator/health"))).await.unwrap();

    assert!(!status.success(), "healthcheck against a closed port: {status}");
}

#[test]
fn boolean_variables_take_the_usual_spellings_and_refuse_others() {
    for spelling in ["1", "0", "true", "FALSE", "yes", "No", "on", "OFF", "y", "n"] {
        let status = run_binary(&["openapi"], &[("EMULATOR_NO_EXPLAIN", spelling)]);
        assert_eq!(status.code(), Some(0), "EMULATOR_NO_EXPLAIN={spelling}");
    }
    let status = run_binary(&["openapi"], &[("EMULATOR_NO_EXPLAIN", "maybe")]);
    assert_eq!(status.code(), Some(2), "EMULATOR_NO_EXPLAIN=maybe");
}

#[tokio::test]
async fn no_explain_set_to_1_in_the_environment_drops_the_explain_header() {
    let emulator = Running::start_with(&["--bind", "127.0.0.1:0"], &[("EMULATOR_NO_EXPLAIN", "1")], Stdio::null());
    let quiet_addr = emulator.addr().to_owned();
    let explaining = Running::start_with(&["--bind", "127.0.0.1:0"], &[("EMULATOR_NO_EXPLAIN", "off")], Stdio::null());
    let client = client();

    let quiet = client
        .request(Request::get(format!("http://{quiet_addr}/propal/v1/leads")).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let explained = client
        .request(Request::get(format!("http://{}/propal/v1/leads", explaining.addr())).body(Body::empty()).unwrap())
        .await
        .unwrap();

    assert_eq!(quiet.status(), StatusCode::UNAUTHORIZED);
    assert!(quiet.headers().get("x-emulator-explain").is_none(), "{:?}", quiet.headers());
    assert_eq!(explained.status(), StatusCode::UNAUTHORIZED);
    assert!(explained.headers().get("x-emulator-explain").is_some(), "{:?}", explained.headers());
}

#[tokio::test]
async fn healthcheck_finds_a_server_started_with_a_token_and_its_own_bind() {
    let dir = tempfile::tempdir().unwrap();
    let run_file = dir.path().join("emulator.json");
    let run_file_text = run_file.to_str().unwrap().to_owned();
    let mut emulator =
        Running::start(&["--bind", "127.0.0.1:0", "--admin-token", "sekret", "--run-file", &run_file_text]);
    let addr = emulator.addr().to_owned();

    let (from_file, from_flag, wrong_bind) = tokio::task::spawn_blocking(move || {
        (
            run_binary(&["healthcheck"], &[("EMULATOR_RUN_FILE", &run_file_text)]),
            run_binary(&["healthcheck", "--bind", &addr], &[]),
            run_binary(&["healthcheck", "--bind", "127.0.0.1:1"], &[("EMULATOR_RUN_FILE", &run_file_text)]),
        )
    })
    .await
    .unwrap();

    assert_eq!(from_file.code(), Some(0), "found through the run file, no token needed for health");
    assert_eq!(from_flag.code(), Some(0), "healthcheck takes --bind after the subcommand");
    assert_eq!(wrong_bind.code(), Some(1), "an explicit --bind wins over the run file");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
    assert_eq!(written, emulator.listening, "the run file holds the listening line");
    let status = tokio::task::spawn_blocking(move || emulator.terminate()).await.unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!run_file.exists(), "a clean exit removes the run file");
}

#[tokio::test]
async fn pretty_logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let mut emulator = Running::start_with(&["--bind", "127.0.0.1:0"], &[], Stdio::piped());
    let stderr = emulator.child.lock().unwrap().stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).expect("read stderr"));
    let client = client();
    let (status, _) = get(&client, &format!("http://{}/propal/v1/organization", emulator.addr()), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    drop(client);

    let exit = tokio::task::spawn_blocking(move || emulator.terminate()).await.unwrap();
    let logs = reader.join().unwrap();

    assert_eq!(exit.code(), Some(0));
    assert!(logs.contains("request"), "a request line was logged: {logs}");
    assert!(!logs.contains('\u{1b}'), "no ANSI escape in piped logs: {logs:?}");
}

/// Sends raw bytes on a fresh connection and reads the answer to its end.
pub(crate) fn raw_exchange(addr: &str, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The server may answer before it has read everything: keep writing on another thread.
    let mut writer = stream.try_clone().unwrap();
    let request = request.to_vec();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = sender.join();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversized_request_lines_and_headers_get_the_vendors_shape_and_a_request_id() {
    let emulator = Emulator::start().await;
    let addr = emulator.addr().to_string();
    let long_query =
        [b"GET /propal/v1/leads?q=".as_slice(), &vec![b'x'; 100_000], b" HTTP/1.1\r\nHost: localhost\r\n\r\n"].concat();
    let many_headers = [
        b"GET /propal/v1/leads HTTP/1.1\r\nHost: localhost\r\n".as_slice(),
        &(0..200).flat_map(|i| format!("X-Header-{i}: v\r\n").into_bytes()).collect::<Vec<u8>>(),
        b"\r\n",
    ]
    .concat();
    let huge_header =
        [b"GET /holm/v1/me HTTP/1.1\r\nHost: localhost\r\nX-Big: ".as_slice(), &vec![b'a'; 2 << 20], b"\r\n\r\n"]
            .concat();

    let answers = tokio::task::spawn_blocking(move || {
        [&long_query, &many_headers, &huge_header].map(|request| raw_exchange(&addr, request))
    })
    .await
    .unwrap();

    let expected = [
        ("HTTP/1.1 414 ", r#"{"error":{"code":"validation_error","message":"Request URI too long."}}"#),
        ("HTTP/1.1 431 ", r#"{"error":{"code":"validation_error","message":"Request headers too large."}}"#),
        ("HTTP/1.1 431 ", r#"{"error":{"code":"invalid_request","message":"Request headers too large."}}"#),
    ];
    for (answer, (status_line, body)) in answers.iter().zip(expected) {
        assert!(answer.starts_with(status_line), "{answer}");
        assert!(answer.ends_with(body), "{answer}");
        let head = answer.to_ascii_lowercase();
        assert!(head.contains("\r\nx-emulator-request-id: req_"), "{answer}");
        assert!(head.contains("\r\nx-emulator-explain: head_too_large; "), "{answer}");
    }
    let journal = emulator.journal(&Filter { limit: Some(3), ..Filter::default() });
    let statuses: Vec<u16> = journal.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [431, 431, 414], "{journal:?}");
    let (status, _) = get(&client(), &format!("{}/_emulator/health", emulator.url()), &[]).await;
    assert_eq!(status, StatusCode::OK, "the server still serves");
}
