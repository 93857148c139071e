//! Faults from outside the API (issue 12), against the real binary over real sockets: a
//! client that disconnects mid-body, a client that sends its head byte by byte (the header
//! read timeout), thousands of headers and a 1 MiB header, SIGTERM with requests in
//! flight, a port already in use and an unreadable fixtures directory. (A webhook receiver
//! that never answers is in `portalio::delivery`.)

use std::{
    io::{Read, Write},
    net::{Shutdown, TcpStream},
    process::{Output, Stdio},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::serve::{Running, client, emulator_command, get, raw_exchange};

/// The raw key of the full-access Propal fixture key.
async fn propal_key(addr: &str) -> String {
    let (_, credentials) = get(&client(), &format!("http://{addr}/_emulator/credentials"), &[]).await;
    credentials["propal"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "Internal tools (full access)")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn health(addr: &str) -> (StatusCode, Value) {
    get(&client(), &format!("http://{addr}/_emulator/health"), &[]).await
}

/// Sends `bytes` on a fresh connection and closes it without reading.
fn send_and_hang_up(addr: &str, bytes: &[u8]) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(bytes).expect("write");
    stream.shutdown(Shutdown::Both).expect("shutdown");
}

#[tokio::test]
async fn clients_that_hang_up_mid_body_store_nothing_and_the_server_keeps_serving() {
    let emulator = Running::start(&["--bind", "127.0.0.1:0", "--propal-rate-limit", "0"]);
    let addr = emulator.addr().to_owned();
    let key = propal_key(&addr).await;
    let (_, before) = health(&addr).await;
    let holm_session =
        r#"{"organizer_key":"hsp_org_BalticOrgKey5Hj8Kl1Zx3Cv","api_key":"hsp_BtMainK7Yu2Io4Pa6Sd8Fg0Hj3"}"#;
    let cuts: Vec<Vec<u8>> = vec![
        // A declared length, half sent.
        format!(
            "POST /propal/v1/leads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"name\":\"Half\",\"email\":\"half@"
        )
        .into_bytes(),
        // Chunked, cut inside a chunk.
        format!(
            "POST /propal/v1/leads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{{\"name\":\"Chunk\""
        )
        .into_bytes(),
        // The head only.
        format!(
            "POST /propal/v1/leads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: 50\r\n\r\n"
        )
        .into_bytes(),
        // A Holm session whose body is cut just before its end.
        format!(
            "POST /holm/v1/auth/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{}",
            holm_session.len(),
            &holm_session[..holm_session.len() - 1]
        )
        .into_bytes(),
    ];

    let sender = addr.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..25 {
            for cut in &cuts {
                send_and_hang_up(&sender, cut);
            }
        }
    })
    .await
    .unwrap();

    // A whole request after them is served, and the counts have not moved.
    let client = client();
    let lead = Request::post(format!("http://{addr}/propal/v1/leads"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({"name": "Whole", "email": "whole@example.com"}).to_string()))
        .unwrap();
    let response = client.request(lead).await.expect("the server still answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, after) = health(&addr).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["fixtures"]["propal"]["leads"], before["fixtures"]["propal"]["leads"].as_u64().unwrap() + 1);
    assert_eq!(after["fixtures"]["holm"]["sessions"], before["fixtures"]["holm"]["sessions"]);
}

#[test]
fn a_client_dripping_its_head_byte_by_byte_is_cut_off_at_the_header_read_timeout() {
    let emulator = Running::start(&["--bind", "127.0.0.1:0", "--header-read-timeout-ms", "500"]);
    let addr = emulator.addr().to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    let mut reader = stream.try_clone().unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    // The server's answer (or its closing) ends the drip.
    let watcher = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let outcome = reader.read_to_end(&mut answer);
        (started.elapsed(), outcome.is_ok(), answer)
    });
    let head = b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a'));
    let mut sent = 0;
    for byte in head.take(500) {
        if stream.write_all(&[*byte]).is_err() || watcher.is_finished() {
            break;
        }
        sent += 1;
        // The client's own pace: 50 bytes a second.
        std::thread::sleep(Duration::from_millis(20));
    }
    // Meanwhile a well-behaved client is served at once.
    let mut other = TcpStream::connect(&addr).unwrap();
    other.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    other.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");

    let (elapsed, closed_cleanly, answer) = watcher.join().unwrap();
    assert!(closed_cleanly, "the server closed the connection (no read timeout on the client side)");
    assert!(answer.is_empty(), "no answer to a head never finished: {}", String::from_utf8_lossy(&answer));
    assert!(elapsed >= Duration::from_millis(450), "closed after {elapsed:?}, before the timeout");
    assert!(elapsed < Duration::from_secs(5), "closed only after {elapsed:?}");
    assert!(sent < 500, "the drip was cut off after {sent} bytes");
}

#[tokio::test]
async fn thousands_of_headers_or_a_1_mib_header_get_each_vendors_431() {
    let emulator = Running::start(&["--bind", "127.0.0.1:0"]);
    let addr = emulator.addr().to_owned();
    let vendors = [
        ("/propal/v1/leads", r#"{"error":{"code":"validation_error","message":"Request headers too large."}}"#),
        ("/holm/v1/me", r#"{"error":{"code":"invalid_request","message":"Request headers too large."}}"#),
        ("/portalio/public/users", r#"{"message":"The request headers are too large."}"#),
    ];
    let requests: Vec<(Vec<u8>, &str)> = vendors
        .iter()
        .flat_map(|(path, body)| {
            let many: Vec<u8> = (0..5000).flat_map(|i| format!("X-Header-{i}: v\r\n").into_bytes()).collect();
            let thousands = [format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n").as_bytes(), &many, b"\r\n"].concat();
            let huge = [
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Big: ").as_bytes(),
                &vec![b'a'; 1 << 20],
                b"\r\n\r\n",
            ]
            .concat();
            [(thousands, *body), (huge, *body)]
        })
        .collect();

    let target = addr.clone();
    let answers = tokio::task::spawn_blocking(move || {
        requests.into_iter().map(|(request, body)| (raw_exchange(&target, &request), body)).collect::<Vec<_>>()
    })
    .await
    .unwrap();

    for (answer, body) in answers {
        assert!(answer.starts_with("HTTP/1.1 431 "), "{}", &answer[..answer.len().min(300)]);
        assert!(answer.ends_with(body), "{answer}");
    }
    let (status, _) = health(&addr).await;
    assert_eq!(status, StatusCode::OK, "the server still serves");
}

/// The lead writes in flight when SIGTERM comes.
const WRITES: usize = 24;

#[tokio::test]
async fn sigterm_lets_in_flight_writes_finish_saves_them_whole_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().to_str().unwrap().to_owned();
    let mut emulator = Running::start(&[
        "--bind",
        "127.0.0.1:0",
        "--propal-rate-limit",
        "0",
        "--state-dir",
        &state_dir,
        "--state-flush-seconds",
        "3600",
    ]);
    let addr = emulator.addr().to_owned();
    let key = propal_key(&addr).await;
    let client = client();
    // Every lead write is held 700 ms, so they are all in flight when SIGTERM comes.
    let rule = json!({"vendor": "propal", "method": "POST", "path": "/v1/leads",
        "action": {"kind": "delay", "delay_ms": 700}});
    let response = client
        .request(
            Request::post(format!("http://{addr}/_emulator/faults"))
                .header("content-type", "application/json")
                .body(Body::from(rule.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let rule_id =
        serde_json::from_slice::<Value>(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();

    let mut writes = tokio::task::JoinSet::new();
    for n in 0..WRITES {
        let (client, addr, key) = (client.clone(), addr.clone(), key.clone());
        writes.spawn(async move {
            let body = json!({"name": format!("In flight {n}"), "email": format!("flight{n}@example.com")});
            let request = Request::post(format!("http://{addr}/propal/v1/leads"))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let response = client.request(request).await.map_err(|e| format!("lead {n}: {e}"))?;
            let status = response.status();
            let bytes = response.into_body().collect().await.map_err(|e| format!("lead {n} body: {e}"))?.to_bytes();
            Ok::<_, String>((status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null)))
        });
    }
    // Wait until the rule has caught every write (they are then inside the server).
    let rule_url = format!("http://{addr}/_emulator/faults/{rule_id}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, rule) = get(&client, &rule_url, &[]).await;
        if rule["fired"].as_u64() == Some(WRITES as u64) {
            break;
        }
        assert!(Instant::now() < deadline, "the writes never reached the server: {rule}");
        tokio::task::yield_now().await;
    }

    let exit = tokio::task::spawn_blocking(move || emulator.terminate()).await.unwrap();

    let mut created = Vec::new();
    while let Some(result) = writes.join_next().await {
        let (status, lead) = result.unwrap().expect("an in-flight request gets its whole answer");
        assert_eq!(status, StatusCode::CREATED, "{lead}");
        created.push(lead["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(exit.code(), Some(0), "exit status after SIGTERM: {exit}");
    let files: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(files, ["state.json"], "one whole file, no partial one left");
    let saved = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    let state: Value = serde_json::from_str(&saved).expect("the saved state is whole JSON");
    let leads = state.to_string();
    for id in &created {
        assert!(leads.contains(id.as_str()), "lead {id} answered 201 before the exit, so it is saved");
    }
    assert_eq!(created.len(), WRITES);
}

/// Runs the binary to its exit with `args`, capturing its output; one that starts serving
/// instead of failing is killed after 10 s (and the test fails on its exit code).
fn run_to_exit(args: &[&str]) -> Output {
    let mut command = emulator_command();
    command.args(args);
    bounded_output(command)
}

fn bounded_output(mut command: std::process::Command) -> Output {
    let child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary runs");
    let pid = child.id().to_string();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    if let Ok(output) = done_rx.recv_timeout(Duration::from_secs(10)) {
        return output.expect("wait");
    }
    let _ = std::process::Command::new("kill").args(["-KILL", &pid]).status();
    done_rx.recv().expect("the killed process is reaped").expect("wait")
}

/// The one line on stderr of a failed start.
fn one_error_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(output.stdout.is_empty(), "no listening line: {output:?}");
    stderr.trim_end().to_owned()
}

#[test]
fn a_port_already_in_use_is_one_clear_line_and_exit_code_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();

    let output = run_to_exit(&["--bind", &addr]);

    let line = one_error_line(&output);
    assert_eq!(line, format!("vendor-emulator: error: binding --bind {addr}: Address already in use (os error 98)"));
}

#[test]
fn a_missing_fixtures_directory_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");

    let output = run_to_exit(&["--bind", "127.0.0.1:0", "--fixtures", missing.to_str().unwrap()]);

    let line = one_error_line(&output);
    assert_eq!(line, format!("vendor-emulator: error: fixture {} at $: no such directory", missing.display()));
}

#[test]
fn an_unreadable_fixture_file_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("propal")).unwrap();
    // A dangling link: unreadable whoever runs the test, root included.
    let file = dir.path().join("propal").join("leads.json");
    std::os::unix::fs::symlink(dir.path().join("gone.json"), &file).unwrap();

    let output = run_to_exit(&["--bind", "127.0.0.1:0", "--fixtures", dir.path().to_str().unwrap()]);

    let line = one_error_line(&output);
    assert_eq!(
        line,
        format!("vendor-emulator: error: fixture {} at $: No such file or directory (os error 2)", file.display())
    );
}

#[test]
fn a_fixtures_directory_without_read_permission_is_one_line_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let fixtures = parent.path().join("fixtures");
    std::fs::create_dir_all(fixtures.join("propal")).unwrap();
    std::fs::set_permissions(&fixtures, std::fs::Permissions::from_mode(0o000)).unwrap();
    let path = fixtures.to_str().unwrap();
    let args = ["--bind", "127.0.0.1:0", "--fixtures", path];

    // Root reads anything: as root, start the binary as `nobody` (setpriv, util-linux).
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let output = if root {
        let binary = env!("CARGO_BIN_EXE_vendor-emulator");
        let mut command = std::process::Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]).args(args).env_clear();
        bounded_output(command)
    } else {
        run_to_exit(&args)
    };
    std::fs::set_permissions(&fixtures, std::fs::Permissions::from_mode(0o755)).unwrap();

    let line = one_error_line(&output);
    assert_eq!(
        line,
        format!(
            "vendor-emulator: error: fixture {path} at $: cannot read the directory: Permission denied (os error 13)"
        )
    );
}
