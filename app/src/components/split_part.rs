//! A part of a page whose code is a wasm chunk's: the page keeps only the condition that shows it,
//! the chunk has the rest (its resources, its views, the calls it makes).
//!
//! Why not a boundary around a plain `Suspend`: when the chunk is there the part must be drawn at
//! once, as if it were the main part's. Hydration walks the server's HTML in one pass and numbers
//! resources in the order they are made; a part that appeared a turn later would hydrate as nothing
//! and its resources would take other ids. `hydrate` in lib.rs fetches the chunk first for a page
//! that shows such a part; on the server a split point is a plain call, always there.

use crate::error::AppError;
use futures::FutureExt;
use leptos::prelude::*;
use std::future::Future;

/// The part `load` (a split point's call) returns: at once when its chunk is there, else once it
/// downloads. A failed download shows `on_error`'s view; the next time the part is drawn tries
/// again. The wait calls `load` again: the first call's future is dropped once polled (the chunk's
/// download it started goes on, and the second call waits for the same one).
pub fn split_part<Fut>(
    load: impl Fn() -> Fut + Send + 'static,
    on_error: impl Fn(AppError) -> AnyView + Send + 'static,
) -> AnyView
where
    Fut: Future<Output = Result<AnyView, AppError>> + Send + 'static,
{
    match load().now_or_never() {
        Some(Ok(view)) => view,
        Some(Err(error)) => on_error(error),
        None => Suspend::new(async move { load().await.unwrap_or_else(on_error) }).into_any(),
    }
}
