//! End-to-end test of the requests monitor page (`/_emulator/ui`) in headless Chromium,
//! driven through WebDriver (chromedriver) with fantoccini.
//!
//! It starts the built emulator with an admin token and chromedriver on free ports,
//! then, as a developer would: enters the token, makes a refused Propal request and a
//! Portal.io near miss and sees both arrive live with their reasons, opens the near
//! miss and reads its trail and the two canonical strings, freezes and advances the
//! clock from the page and checks `/_emulator/clock`, creates a Propal organization
//! from the page and calls the API with its key, then resets Propal from the page.
//!
//! `cargo run --manifest-path browser-test/Cargo.toml -- [--emulator PATH] [--screenshot FILE]`
//! (defaults: `target/debug/vendor-emulator`, no screenshot). Needs `chromium` and
//! `chromedriver` on the PATH (Debian: `apt-get install chromium chromium-driver`).

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator, error::CmdError, wd::Capabilities};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client as Legacy, rt::TokioExecutor};
use serde_json::{Value, json};

const TOKEN: &str = "browser-test-token";
const WAIT: Duration = Duration::from_secs(15);

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let emulator_path = option("--emulator").unwrap_or_else(|| "target/debug/vendor-emulator".into());
    let screenshot = option("--screenshot");

    let (_emulator, addr) = start_emulator(&emulator_path)?;
    let driver_port = free_port()?;
    let _driver = Running(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?,
    );
    let profile = std::env::temp_dir().join(format!("monitor-browser-test-{}", std::process::id()));
    let client = connect(driver_port, &profile).await?;
    let outcome = run(&client, &addr, screenshot.as_deref()).await;
    if outcome.is_err() {
        // What the page showed when it failed, for the CI log.
        for css in [
            "#action-error",
            "section.vendor[data-vendor='propal'] .result",
            "section.vendor[data-vendor='propal'] .tables",
        ] {
            eprintln!("{css}: {:?}", texts(&client, css).await);
        }
        if let Ok(png) = client.screenshot().await {
            let path = std::env::temp_dir().join("monitor-browser-test-failure.png");
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot of the failure: {}", path.display());
        }
    }
    let _ = client.close().await;
    let _ = std::fs::remove_dir_all(&profile);
    outcome?;
    println!("browser test passed");
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts the emulator on a free port and reads its address from the listening line.
fn start_emulator(path: &str) -> Result<(Running, String)> {
    let mut child = Command::new(path)
        .args(["--bind", "127.0.0.1:0", "--admin-token", TOKEN, "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {path}"))?;
    let stdout = child.stdout.take().context("emulator stdout")?;
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let listening: Value = serde_json::from_str(&line).with_context(|| format!("listening line: {line}"))?;
    ensure!(listening["ui"] == "/_emulator/ui", "the listening line links the page: {line}");
    let addr = listening["addr"].as_str().context("addr")?.to_owned();
    Ok((running, addr))
}

async fn connect(port: u16, profile: &std::path::Path) -> Result<Client> {
    let mut capabilities = Capabilities::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1500,1100",
            format!("--user-data-dir={}", profile.display()),
        ]}),
    );
    let started = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Ok(client),
            Err(e) if started.elapsed() < WAIT => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => bail!("no WebDriver session: {e}"),
        }
    }
}

/// One HTTP request to the emulator: (status, body).
async fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Result<(u16, String)> {
    let client = Legacy::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder().method(method).uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client.request(request.body(Full::new(Bytes::from(body.to_owned())))?).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

async fn admin(addr: &str, method: &str, path: &str, body: &str) -> Result<Value> {
    let auth = format!("Bearer {TOKEN}");
    let (status, text) =
        http(addr, method, path, &[("Authorization", &auth), ("Content-Type", "application/json")], body).await?;
    ensure!((200..300).contains(&status), "{method} {path}: {status} {text}");
    Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? })
}

/// Waits until `find` finds something, or fails saying what it waited for. An element
/// the page repainted between two WebDriver calls (a stale reference) is looked for again.
async fn wait_for<T, F, Fut>(what: &str, mut find: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    loop {
        match find().await {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) if e.downcast_ref::<CmdError>().is_some_and(CmdError::is_stale_element_reference) => {}
            Err(e) => return Err(e),
        }
        if started.elapsed() > WAIT {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text_of(client: &Client, css: &str) -> Result<String> {
    Ok(client.find(Locator::Css(css)).await?.text().await?)
}

async fn visible(client: &Client, css: &str) -> Result<bool> {
    match client.find(Locator::Css(css)).await {
        Ok(element) => Ok(element.is_displayed().await?),
        Err(_) => Ok(false),
    }
}

/// The text of every element `css` selects, read in one script (no stale references
/// while the page repaints).
async fn texts(client: &Client, css: &str) -> Result<Vec<String>> {
    let found = client
        .execute("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);", vec![json!(css)])
        .await?;
    Ok(serde_json::from_value(found)?)
}

/// Clicks what `locator` finds, again if the page repainted it in between.
async fn click(client: &Client, locator: Locator<'_>) -> Result<()> {
    let started = Instant::now();
    loop {
        let attempt = async {
            let element = client.find(locator).await?;
            // Clear of the sticky header.
            let arg = serde_json::to_value(&element).unwrap_or_default();
            client.execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg]).await?;
            element.click().await
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(e) if started.elapsed() < WAIT => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => bail!("clicking {locator:?}: {e}"),
        }
    }
}

/// The text of the first row of the request list that contains `needle`, read in one
/// script: the list repaints as entries arrive, so a row found by one WebDriver call
/// may be gone by the next.
async fn row_with(client: &Client, needle: &str) -> Result<Option<String>> {
    Ok(texts(client, "#entries tbody tr").await?.into_iter().find(|row| row.contains(needle)))
}

async fn run(client: &Client, addr: &str, screenshot: Option<&str>) -> Result<()> {
    // 1. The page asks for the admin token once.
    client.goto(&format!("http://{addr}/_emulator/ui")).await?;
    wait_for("the token form", || async { Ok(visible(client, "#token-form").await?.then_some(())) }).await?;
    client.find(Locator::Css("#token")).await?.send_keys(TOKEN).await?;
    client.find(Locator::Css("#token-form button[type=submit]")).await?.click().await?;
    wait_for("the live badge", || async { Ok((text_of(client, "#connection").await? == "live").then_some(())) })
        .await?;

    // 2. A refused Propal request and a Portal.io near miss arrive live with their reasons.
    let (status, _) =
        http(addr, "GET", "/propal/v1/proposals", &[("Authorization", "Bearer pp_live_doesNotExist")], "").await?;
    ensure!(status == 401, "the Propal request is refused");
    let credentials = admin(addr, "GET", "/_emulator/credentials", "").await?;
    let app_id = credentials["portalio"]["apps"][0]["app_id"].as_str().context("app id")?.to_owned();
    let user_key =
        credentials["portalio"]["accounts"][0]["users"][0]["user_key"].as_str().context("user key")?.to_owned();
    // The bug: signing the URL with a trailing slash.
    let wrong_url = format!("http://{addr}/portalio/public/users/");
    let signed = admin(
        addr,
        "POST",
        "/_emulator/portalio/sign",
        &json!({"method": "GET", "url": wrong_url, "user_key": user_key, "app_id": app_id}).to_string(),
    )
    .await?;
    let date = signed["date"].as_str().context("date")?;
    let signature = signed["signature"].as_str().context("signature")?;
    let headers = [
        ("Accept", "application/json"),
        ("X-MSS-API-APPID", app_id.as_str()),
        ("X-MSS-API-USERKEY", user_key.as_str()),
        ("X-MSS-CUSTOM-DATE", date),
        ("X-MSS-SIGNATURE", signature),
    ];
    let (status, _) = http(addr, "GET", "/portalio/public/users", &headers, "").await?;
    ensure!(status == 401, "the Portal.io near miss is refused");
    wait_for("the Propal refusal in the list", || row_with(client, "unknown_key")).await?;
    let near_miss =
        wait_for("the Portal.io near miss in the list", || row_with(client, "near_miss:trailing_slash")).await?;
    ensure!(near_miss.contains("401"), "the row shows the status");

    // 3. Open it: the trail step by step, and the two canonical strings with the difference marked.
    click(client, Locator::XPath("//*[@id='entries']//tbody/tr[contains(., 'near_miss:trailing_slash')]")).await?;
    wait_for("the entry's trail", || async { Ok(visible(client, "#detail ol.trail").await?.then_some(())) }).await?;
    let trail = text_of(client, "#detail ol.trail").await?;
    for step in ["PASS headers", "PASS app_id", "FAIL signature"] {
        ensure!(trail.contains(step), "the trail shows `{step}`: {trail}");
    }
    let expected = text_of(client, "#detail .compared pre.expected").await?;
    let received = text_of(client, "#detail .compared pre.received").await?;
    ensure!(
        expected.contains("/portalio/public/users") && received.contains("/portalio/public/users/"),
        "{expected} / {received}"
    );
    let marked = text_of(client, "#detail .compared pre.received mark").await?;
    ensure!(marked == "/", "the difference is the trailing slash, marked: `{marked}`");
    let explain = text_of(client, "#detail .explain").await?;
    ensure!(explain.contains("signature_mismatch near_miss:trailing_slash"), "{explain}");
    let header_text = text_of(client, "#detail table.headers").await?;
    ensure!(
        header_text.contains("redacted") && !header_text.contains(&user_key),
        "credentials are masked: {header_text}"
    );
    if let Some(path) = screenshot {
        client
            .execute("document.querySelector('#detail .compared').scrollIntoView({block: 'center'});", vec![])
            .await?;
        std::fs::write(path, client.screenshot().await?).with_context(|| format!("writing {path}"))?;
    }

    // 4. Filters: refusals only keeps the two refusals.
    client.find(Locator::Css("#filter-refusals")).await?.click().await?;
    let rows = texts(client, "#entries tbody tr").await?;
    ensure!(rows.len() == 2, "refusals only shows the two refusals, not {rows:?}");

    // 5. The clock: freeze, then advance by 2 hours, from the page.
    click(client, Locator::Css("#clock-freeze")).await?;
    let frozen = wait_for("a frozen clock", || async {
        let clock = admin(addr, "GET", "/_emulator/clock", "").await?;
        Ok((clock["frozen"] == true).then(|| clock["now"].as_str().unwrap_or_default().to_owned()))
    })
    .await?;
    wait_for("the page to say frozen", || async {
        Ok((text_of(client, "#clock-state").await? == "frozen").then_some(()))
    })
    .await?;
    let amount = client.find(Locator::Css("#advance-amount")).await?;
    amount.clear().await?;
    amount.send_keys("2").await?;
    client.find(Locator::Css("#advance-unit option[value='3600']")).await?.click().await?;
    click(client, Locator::Css("#clock-advance")).await?;
    let target = shift_rfc3339(&frozen, 7200)?;
    wait_for("the clock two hours on", || async {
        let clock = admin(addr, "GET", "/_emulator/clock", "").await?;
        Ok((clock["now"] == target.as_str()).then_some(()))
    })
    .await?;

    // 6. A fresh Propal organization from the page, and its key works.
    let propal = "section.vendor[data-vendor='propal']";
    click(
        client,
        Locator::XPath("//section[@data-vendor='propal']//button[normalize-space()='Create a fresh organization']"),
    )
    .await?;
    let key = wait_for("the new key in the result", || async {
        Ok(texts(client, &format!("{propal} .result code")).await?.into_iter().find(|t| t.starts_with("pp_live_")))
    })
    .await?;
    let bearer = format!("Bearer {key}");
    let (status, body) = http(addr, "GET", "/propal/v1/proposals", &[("Authorization", &bearer)], "").await?;
    ensure!(status == 200, "the page's new key works: {status} {body}");

    // 7. Reset Propal from the page: the new organization and its key are gone.
    click(client, Locator::Css(&format!("{propal} button.reset"))).await?;
    client.accept_alert().await?;
    wait_for("the key to stop working after the reset", || async {
        let (status, _) = http(addr, "GET", "/propal/v1/proposals", &[("Authorization", &bearer)], "").await?;
        Ok((status == 401).then_some(()))
    })
    .await?;
    Ok(())
}

/// `2026-04-01T10:30:00.000Z` + `seconds`, in the same form (UTC, milliseconds).
fn shift_rfc3339(at: &str, seconds: i64) -> Result<String> {
    let at: jiff::Timestamp = at.parse()?;
    Ok((at + jiff::SignedDuration::from_secs(seconds)).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}
