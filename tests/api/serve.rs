//! End to end, with the real binary (CONTRACT §2): the one listening line with
//! real ports, the main and a dedicated listener over real sockets, the
//! `healthcheck` subcommand, and a clean exit on SIGTERM. Few and fast: each test
//! starts at most one process, on ports the OS picks.

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

const BINARY: &str = env!("CARGO_BIN_EXE_vendor-emulator");

/// The binary with no `EMULATOR_*` variables inherited from the environment running the tests.
fn emulator_command() -> Command {
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EMULATOR_") {
            command.env_remove(name);
        }
    }
    command
}

/// A started emulator; killed on drop if the test did not stop it.
struct Running {
    child: Arc<Mutex<Child>>,
    pid: String,
    listening: Value,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = emulator_command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let listening = serde_json::from_str(&line).unwrap_or_else(|e| panic!("listening line {line:?}: {e}"));
        let pid = child.id().to_string();
        Self { child: Arc::new(Mutex::new(child)), pid, listening }
    }

    fn addr(&self) -> &str {
        self.listening["addr"].as_str().expect("addr")
    }

    /// Sends SIGTERM and waits (bounded) for the process to exit.
    fn terminate(&mut self) -> ExitStatus {
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

fn client() -> Client<HttpConnector, Body> {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn get(client: &Client<HttpConnector, Body>, url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
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
    emulator_command()
        .args(["healthcheck", "--url", url])
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
