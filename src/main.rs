//! Thin entry point: parse the command line, start logging, bind, print the
//! listening line, serve until SIGINT or SIGTERM.

use std::io::Write;

use clap::Parser;
use tracing_subscriber::{EnvFilter, fmt};
use vendor_emulator::{
    app,
    config::{Cli, Command, Config, LogFormat, SignCommand},
    healthcheck,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Healthcheck { url }) => {
            let url = url.unwrap_or_else(|| healthcheck::default_url(cli.config.bind));
            let code = healthcheck::run(&url, cli.config.admin_token.as_deref()).await;
            std::process::exit(code);
        }
        Some(Command::Openapi { vendor }) => {
            let app = vendor_emulator::build_app(cli.config)?;
            let document = app.state.docs().document(vendor);
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &document)?;
            writeln!(stdout)?;
            return Ok(());
        }
        Some(Command::Sign(SignCommand::Portalio(args))) => match vendor_emulator::portalio::cli::run(&args) {
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
    let line = listeners.listening_line()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
    app::serve(app, listeners, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// Completes on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
