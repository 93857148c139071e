//! `--state-dir DIR`: the sandbox survives restarts. At start the state is loaded
//! from `DIR/state.json` (a [`StateDocument`], the same as an export) when it exists,
//! over the fixtures; while serving it is written back at most once per
//! `--state-flush-seconds` when it changed, and once more on a graceful shutdown.
//!
//! Every write is whole or nothing: the text goes to `state.json.partial`, which is
//! fsynced and renamed over `state.json`, then the directory is fsynced. A crash
//! (even SIGKILL in the middle of a write) leaves the previous complete file, so at
//! most the last interval is lost. Without the flag nothing touches the disk.

use std::{
    fs::{self, File},
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;

use crate::{app::AppState, fixtures::FixtureError, snapshot::StateDocument};

/// The file inside the state directory.
pub const STATE_FILE: &str = "state.json";

/// Where the state is kept, and the text last written (to skip unchanged flushes).
#[derive(Clone, Debug)]
pub struct StateDir {
    dir: PathBuf,
    written: Arc<Mutex<Option<String>>>,
}

impl StateDir {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf(), written: Arc::new(Mutex::new(None)) }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// Loads `state.json` into the vendors, if it exists. A broken file stops start-up
    /// with its name and the JSON path of the problem; nothing is loaded then.
    pub fn load(&self, state: &AppState) -> anyhow::Result<bool> {
        fs::create_dir_all(&self.dir).with_context(|| format!("creating --state-dir {}", self.dir.display()))?;
        let file = self.file();
        let shown = file.display().to_string();
        let text = match fs::read(&file) {
            Ok(bytes) => {
                String::from_utf8(bytes).map_err(|_| FixtureError::new(&shown, "$", "the file is not UTF-8"))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(FixtureError::new(&shown, "$", e.to_string()).into()),
        };
        let document = StateDocument::parse(&shown, &text)?;
        for (_, restore) in document.prepare(&shown, &state.vendors)? {
            restore.commit();
        }
        *self.written.lock().unwrap() = Some(text);
        Ok(true)
    }

    /// Writes the current state if it differs from what was last written. Returns
    /// whether it wrote.
    pub fn flush(&self, state: &AppState) -> anyhow::Result<bool> {
        let text = StateDocument::export(state.vendors.iter().map(AsRef::as_ref)).to_text();
        let mut written = self.written.lock().unwrap();
        if written.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        write_atomically(&self.dir, STATE_FILE, text.as_bytes())?;
        *written = Some(text);
        Ok(true)
    }

    /// Flushes every `every` until the task is aborted; errors are logged, not fatal.
    pub fn spawn_flusher(&self, state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let (this, state) = (this.clone(), state.clone());
                match tokio::task::spawn_blocking(move || this.flush(&state)).await {
                    Ok(Ok(true)) => tracing::debug!("state written"),
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "writing --state-dir"),
                    Err(e) => tracing::warn!(error = %e, "state writer task"),
                }
            }
        })
    }
}

/// `dir/name` replaced whole: a temporary file, fsynced, renamed over it, the directory fsynced.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let target = dir.join(name);
    let partial = dir.join(format!("{name}.partial"));
    let mut file = File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    file.write_all(bytes).with_context(|| format!("writing {}", partial.display()))?;
    file.sync_all().with_context(|| format!("syncing {}", partial.display()))?;
    drop(file);
    fs::rename(&partial, &target).with_context(|| format!("renaming {} to {}", partial.display(), target.display()))?;
    // The rename itself is durable once the directory entry is.
    if let Ok(directory) = File::open(dir) {
        let _ = directory.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_partial() {
        let dir = tempfile::tempdir().unwrap();
        write_atomically(dir.path(), "state.json", b"one").unwrap();
        write_atomically(dir.path(), "state.json", b"two").unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("state.json")).unwrap(), "two");
        assert!(!dir.path().join("state.json.partial").exists());
    }
}
