//! Live updates in the browser: one server-sent-events stream (`/api/stream`) per page. Each event
//! carries what changed (a `ChangeSet`, `domain/live_changes.rs`); a view asks, through
//! [`live_tick_when`] or [`on_live_change`], to hear only of the changes it shows, so a change to
//! one VM refetches the grid page holding it and not the other pages (rows are updated in place:
//! selection and scroll stay).

use crate::domain::live_changes::ChangeSet;
use leptos::prelude::*;
use std::sync::Arc;

/// The last change set received, numbered (the number tells one event from the next).
#[derive(Clone, Default)]
pub struct LiveChange {
    pub seq: u64,
    pub changes: Arc<ChangeSet>,
}

#[derive(Clone, Copy)]
pub struct LiveUpdates(pub ReadSignal<LiveChange>);

/// Called by the logged-in shell. On the server (and with JavaScript off) nothing ever arrives.
pub fn provide_live_updates() {
    let (last, set_last) = signal(LiveChange::default());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        if let Ok(source) = web_sys::EventSource::new("/api/stream") {
            let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                // Data that is not text (never sent) reads as "anything changed".
                let changes = e
                    .data()
                    .as_string()
                    .map_or_else(ChangeSet::everything, |t| ChangeSet::parse(&t));
                set_last.update(|l| {
                    l.seq += 1;
                    l.changes = Arc::new(changes);
                });
            });
            let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            // Both live as long as the page: the browser keeps an open EventSource alive.
            on_change.forget();
            on_cleanup(move || source.close());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_last;
    provide_context(LiveUpdates(last));
}

/// Runs `then` after each live change for which `touches` is true (in the browser; never on the
/// server). `touches` must read signals untracked: it runs inside an effect on the changes alone.
pub fn on_live_change(
    touches: impl Fn(&ChangeSet) -> bool + Send + Sync + 'static,
    then: impl Fn() + Send + Sync + 'static,
) {
    let Some(LiveUpdates(last)) = use_context::<LiveUpdates>() else {
        return;
    };
    Effect::new(move |seen: Option<u64>| {
        let (seq, touched) = last.with(|l| (l.seq, l.seq > 0 && touches(&l.changes)));
        // The first run only notes where the stream is: what came before this view was drawn is in
        // what it loaded.
        if seen.is_some_and(|s| s != seq) && touched {
            then();
        }
        seq
    });
}

/// A counter to key a resource on: it moves on each live change for which `touches` is true
/// (0 forever outside the logged-in shell and on the server).
pub fn live_tick_when(touches: impl Fn(&ChangeSet) -> bool + Send + Sync + 'static) -> Signal<u64> {
    let tick = RwSignal::new(0u64);
    on_live_change(touches, move || tick.update(|n| *n += 1));
    tick.into()
}
