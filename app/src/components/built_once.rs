//! A Transition's reactive body: the closure in the browser, its value built once on the server.
//!
//! Why: before writing a Suspense or Transition, the server walks its children to find the
//! resources still loading (`dry_resolve`), and walking a closure calls it, so each walk builds the
//! body anew. A body that builds components with resources (a grid's row details: a host's usage
//! chart and CPU map, a data center's clusters) built them two or three times. Each build fetched
//! again and took new serialization ids, and the page was written from the last build while the
//! browser, building once, read the first build's data. When the data moved in between (a usage
//! sample arriving between the two fetches), hydration failed on the page. A built `Suspend` is
//! polled by the walk and kept, so the server builds it once, as the browser does.
//!
//! Only for bodies that *await* their data (a `Suspend`): a body that reads a resource
//! synchronously needs the server's second call, after the data came, to draw it.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub fn built_once<V: IntoView>(body: impl Fn() -> V) -> V {
    // On the server nothing changes during one render: the URL's state is read once, untracked.
    untrack(body)
}

#[cfg(not(feature = "ssr"))]
pub fn built_once<V: IntoView, F: Fn() -> V>(body: F) -> F {
    body
}
