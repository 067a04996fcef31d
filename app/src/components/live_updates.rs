//! Live updates in the browser: one server-sent-events stream (`/api/stream`) per page, whose
//! messages bump a counter that grid pages put in their resources' keys, so they refetch what
//! changed without a reload (and keep selection and scroll: rows are updated in place).

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct LiveUpdates(pub ReadSignal<u64>);

/// Called by the logged-in shell. On the server (and with JavaScript off) the counter never moves.
pub fn provide_live_updates() {
    let (tick, set_tick) = signal(0u64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        if let Ok(source) = web_sys::EventSource::new("/api/stream") {
            let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| set_tick.update(|n| *n += 1));
            let _ = source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            // Both live as long as the page: the browser keeps an open EventSource alive.
            on_change.forget();
            on_cleanup(move || source.close());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_tick;
    provide_context(LiveUpdates(tick));
}

/// The counter to key resources on (0 forever outside the logged-in shell).
pub fn live_tick() -> Signal<u64> {
    match use_context::<LiveUpdates>() {
        Some(LiveUpdates(tick)) => tick.into(),
        None => Signal::derive(|| 0),
    }
}
