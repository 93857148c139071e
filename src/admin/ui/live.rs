//! `GET /_emulator/journal/live`: new journal entries as server-sent events, as they
//! are recorded. Each entry is an `entry` event whose data is the entry's JSON (as
//! `GET /_emulator/journal/{request_id}` answers it). A watcher that falls more than
//! [`LIVE_BACKLOG`](crate::journal::LIVE_BACKLOG) entries behind gets a `missed`
//! event whose data is how many it missed, then carries on with the newest.
//! Nothing is published while no one watches.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::{app::AppState, journal::Watch};

/// Journal entries as they are recorded, as server-sent events.
#[utoipa::path(get, path = "/_emulator/journal/live", tag = "control plane",
    responses((status = 200, description = "`entry` events (an entry's JSON each) and `missed` events (how many a slow \
        reader missed), as they happen", content_type = "text/event-stream", body = String)))]
pub async fn live_journal(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let watch = state.journal.watch();
    Sse::new(events(watch)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The events of one watcher; the [`Watch`] lives (and counts as a watcher) as long as the stream.
fn events(watch: Watch) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(watch, |mut watch| async move {
        let event = match watch.receiver.recv().await {
            Ok(entry) => Event::default().event("entry").json_data(&*entry).unwrap_or_else(|_| Event::default()),
            Err(RecvError::Lagged(missed)) => Event::default().event("missed").data(missed.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), watch))
    })
}
