use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The login page. A plain form post to `POST /login` (handled by the server, not a server
/// function) so logging in works the same with and without JavaScript; the server answers with a
/// redirect to `next` or back here with `?error=`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query.with(|q| match q.get("error").as_deref() {
            Some("invalid") => Some("Incorrect username or password."),
            Some("expired") => Some("Your session has ended. Log in again."),
            Some(_) => Some("Logging in failed. Try again."),
            None => None,
        })
    };
    let logged_out = move || query.with(|q| q.get("logged_out").is_some());
    let next = move || query.with(|q| q.get("next").filter(|n| n.starts_with('/')).unwrap_or_default());
    // A login lands on the Dashboard (unless `next` says otherwise), whose code is a chunk of its
    // own: fetched while the user types, so the landing hydrates without waiting for it.
    crate::components::lazy_page::prefetch_home();
    view! {
        <Title text="Log in" />
        <div class="login-page">
            <form class="login-card" method="post" action="/login">
                <h1>
                    <img src="/icons/vireo.svg" alt="" width="32" height="32" />
                    "Vireo"
                </h1>
                <p class="muted">"Virtual machines on libvirt hosts"</p>
                {move || {
                    error()
                        .map(|e| {
                            view! {
                                <div class="alert alert-error" role="alert">
                                    {e}
                                </div>
                            }
                        })
                }}
                {move || {
                    logged_out()
                        .then(|| {
                            view! {
                                <div class="alert alert-info" role="status">
                                    "You have logged out."
                                </div>
                            }
                        })
                }}
                <input type="hidden" name="next" value=next />
                <label for="login-username">"Username"</label>
                <input id="login-username" name="username" type="text" autocomplete="username" required autofocus />
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password" autocomplete="current-password" required />
                <button type="submit" class="btn btn-primary">
                    "Log in"
                </button>
            </form>
        </div>
    }
}
