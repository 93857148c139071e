//! How long `harness::Emulator::start()` takes, to compare with the binary's start-up
//! in `bench/run` (process start to the first 200 from `/_emulator/health`): the same
//! measure, in-process. `cargo run --release --example harness_startup [STARTS]`.

use std::time::{Duration, Instant};

use vendor_emulator::harness::Emulator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let starts: usize = std::env::args().nth(1).map_or(Ok(20), |n| n.parse())?;
    anyhow::ensure!(starts > 0, "STARTS must be at least 1");
    let client = reqwest::Client::new();
    let mut took: Vec<Duration> = Vec::with_capacity(starts);
    for _ in 0..starts {
        let started = Instant::now();
        let emulator = Emulator::start().await;
        let status = client.get(format!("{}/_emulator/health", emulator.url())).send().await?.status();
        took.push(started.elapsed());
        anyhow::ensure!(status == 200, "health answered {status}");
        emulator.stop().await?;
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "Emulator::start() to the first 200 from /_emulator/health ({starts} starts): median {:.1} ms, max {:.1} ms",
        ms(took[starts / 2]),
        ms(took[starts - 1])
    );
    Ok(())
}
