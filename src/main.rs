//! Thin entry point: parse the command line, start logging, bind, print the
//! listening line, serve until SIGINT or SIGTERM.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt};
use vendor_emulator::{
    app,
    config::{Cli, Command, Config, LogFormat, TlsCommand},
    healthcheck,
};

/// mimalloc instead of glibc's malloc: every request allocates many small, short-lived
/// strings, and glibc's allocator took a quarter to a third of the CPU of each hot path
/// (`bench/profiles/before-*.txt`; the README's Performance section has the figures before and after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    // A start-up failure (a port in use, unreadable fixtures) is one line on stderr naming
    // what failed and why, and exit code 1.
    if let Err(error) = run().await {
        eprintln!("vendor-emulator: error: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    match cli.command {
        Some(Command::Healthcheck { url, tls }) => {
            let explicit_bind = matches
                .subcommand_matches("healthcheck")
                .filter(|m| m.value_source("bind") == Some(ValueSource::CommandLine))
                .map(|_| cli.config.bind);
            if tls {
                std::process::exit(tls_healthcheck(&cli.config, explicit_bind).await);
            }
            let url = healthcheck::target_url(url, explicit_bind, cli.config.run_file.as_deref(), cli.config.bind);
            std::process::exit(healthcheck::run(&url).await);
        }
        Some(Command::Tls(TlsCommand::Ca { url })) => match ca_pem(&cli.config, url).await {
            Ok(pem) => {
                write!(std::io::stdout().lock(), "{pem}")?;
                return Ok(());
            }
            Err(problem) => {
                eprintln!("{problem}");
                std::process::exit(1);
            }
        },
        Some(Command::Openapi { vendor, bundle }) => {
            let app = vendor_emulator::build_app(cli.config)?;
            let mut stdout = std::io::stdout().lock();
            if bundle {
                serde_json::to_writer(&mut stdout, app.state.docs())?;
            } else {
                serde_json::to_writer_pretty(&mut stdout, &app.state.docs().document(vendor))?;
            }
            writeln!(stdout)?;
            return Ok(());
        }
        Some(Command::Sign(command)) => match command.run() {
            Ok(text) => {
                write!(std::io::stdout().lock(), "{text}")?;
                return Ok(());
            }
            Err(problem) => {
                eprintln!("{problem}");
                std::process::exit(2);
            }
        },
        None => {}
    }
    init_tracing(&cli.config);
    let app = vendor_emulator::build_app(cli.config)?;
    let listeners = app::bind(&app.state.config).await?;
    let shutdown = shutdown_signal()?;
    let line = listeners.listening_line()?;
    let run_file = app.state.config.run_file.clone();
    if let Some(path) = &run_file {
        write_run_file(path, &line)?;
    }
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
    app::serve(app, listeners, shutdown).await?;
    if let Some(path) = &run_file {
        let _ = std::fs::remove_file(path);
    }
    tracing::info!("stopped");
    Ok(())
}

/// `healthcheck --tls`: the TLS listener's health, trusting the emulator's CA or `--tls-cert`.
async fn tls_healthcheck(config: &Config, explicit_bind: Option<std::net::SocketAddr>) -> i32 {
    let Some(addr) = healthcheck::tls_addr(config.run_file.as_deref(), config.tls_bind) else {
        eprintln!("unhealthy: no TLS listener: give --tls-bind or --run-file");
        return 1;
    };
    let trusted = if let Some(cert) = &config.tls_cert {
        std::fs::read_to_string(cert).map_err(|e| format!("--tls-cert {}: {e}", cert.display()))
    } else {
        let main = healthcheck::main_addr(explicit_bind, config.run_file.as_deref(), config.bind);
        ca_pem(config, Some(healthcheck::base_url(main))).await
    };
    match trusted {
        Ok(trusted) => healthcheck::run_tls(addr, &trusted).await,
        Err(problem) => {
            eprintln!("unhealthy: {problem}");
            1
        }
    }
}

/// The emulator CA: the one kept in `--tls-ca-dir` (created when absent), else the running
/// server's, fetched from `url` or the main listener found like `healthcheck` finds it.
async fn ca_pem(config: &Config, url: Option<String>) -> Result<String, String> {
    if let Some(dir) = &config.tls_ca_dir {
        let ca = vendor_emulator::tls::certs::LocalCa::open_or_create(dir).map_err(|e| format!("{e:#}"))?;
        return Ok(ca.cert_pem().to_owned());
    }
    let base = url.unwrap_or_else(|| {
        healthcheck::base_url(healthcheck::main_addr(None, config.run_file.as_deref(), config.bind))
    });
    healthcheck::fetch_ca(&base).await
}

/// Writes the listening line whole (a temporary file renamed into place), so a
/// health check never reads half of it.
fn write_run_file(path: &std::path::Path, line: &str) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format!("{line}\n"))
        .with_context(|| format!("writing --run-file {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing --run-file {}", path.display()))?;
    Ok(())
}

fn init_tracing(config: &Config) {
    let filter = config.log_level.clone();
    // Colour only for a person at a terminal: never in files, `docker logs` or CI.
    let layer = fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(filter);
    match config.log_format {
        LogFormat::Json => registry.with(layer.json()).init(),
        LogFormat::Pretty => registry.with(layer).init(),
    }
}

/// Installs the SIGINT and SIGTERM handlers now (before the listening line tells a
/// caller it may signal us) and returns a future that completes on the first of them.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?)
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
