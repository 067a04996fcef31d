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
    Effect::new(move |_| browser::open(set_last));
    #[cfg(not(feature = "hydrate"))]
    let _ = set_last;
    provide_context(LiveUpdates(last));
}

#[cfg(feature = "hydrate")]
mod browser {
    //! The stream, reopened when the browser gives up on it. An `EventSource` retries by itself
    //! after a dropped connection, but an HTTP error (a 503 while a restarted server is flooded by
    //! every open page reconnecting at once) closes it for good: without this the page would
    //! silently stop hearing changes. Reopened after a jittered, growing delay, so a thousand pages
    //! do not come back in the same second; a reopened stream may have missed changes, so its first
    //! open refetches everything shown.
    use super::LiveChange;
    use crate::domain::live_changes::{reconnect_delay_ms, ChangeSet};
    use leptos::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    /// The open stream and whether the page is gone (no reopening after that).
    #[derive(Clone, Default)]
    struct Stream {
        current: Arc<Mutex<Option<EventSource>>>,
        stopped: Arc<AtomicBool>,
    }

    pub fn open(set_last: WriteSignal<LiveChange>) {
        let stream = Stream::default();
        connect(stream.clone(), set_last, 0, false);
        on_cleanup(move || {
            stream.stopped.store(true, Ordering::Relaxed);
            if let Some(source) = stream.current.lock().ok().and_then(|mut s| s.take()) {
                source.close();
            }
        });
    }

    fn publish(set_last: WriteSignal<LiveChange>, changes: ChangeSet) {
        set_last.update(|l| {
            l.seq += 1;
            l.changes = Arc::new(changes);
        });
    }

    /// `failures`: closed streams since the last one that opened; `reopened`: whether an earlier
    /// stream of this page existed (then the first open refetches everything).
    fn connect(stream: Stream, set_last: WriteSignal<LiveChange>, failures: u32, reopened: bool) {
        if stream.stopped.load(Ordering::Relaxed) {
            return;
        }
        let Ok(source) = EventSource::new("/api/stream") else {
            return;
        };
        let on_change = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            // Data that is not text (never sent) reads as "anything changed".
            let changes = e
                .data()
                .as_string()
                .map_or_else(ChangeSet::everything, |t| ChangeSet::parse(&t));
            publish(set_last, changes);
        });
        let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        let opened = Arc::new(AtomicBool::new(false));
        let on_open = {
            let opened = opened.clone();
            Closure::<dyn FnMut()>::new(move || {
                if !opened.swap(true, Ordering::Relaxed) && reopened {
                    publish(set_last, ChangeSet::everything());
                }
            })
        };
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let on_error = {
            let stream = stream.clone();
            let source = source.clone();
            Closure::<dyn FnMut()>::new(move || {
                // CONNECTING: the browser is retrying by itself. CLOSED: it gave up.
                if source.ready_state() != EventSource::CLOSED || stream.stopped.load(Ordering::Relaxed) {
                    return;
                }
                let failures = if opened.load(Ordering::Relaxed) {
                    0
                } else {
                    failures + 1
                };
                let delay = reconnect_delay_ms(failures, js_sys::Math::random());
                let stream = stream.clone();
                set_timeout(
                    move || connect(stream, set_last, failures, true),
                    Duration::from_millis(u64::from(delay)),
                );
            })
        };
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The closures live as long as their stream: a page reopens a handful at most.
        on_change.forget();
        on_open.forget();
        on_error.forget();
        if let Ok(mut current) = stream.current.lock() {
            *current = Some(source);
        }
    }
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
