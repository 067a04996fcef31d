use crate::api::hosts::{scan_host_key, vireo_ssh_key};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The SSH part of Add Host (issue 17): Vireo's public key and the `authorized_keys` line for the
/// remote user, then the host key's two steps. "Fetch host key" reloads the dialog with its fields
/// and `scan=1` in the URL — with JavaScript off as the form's GET submission (`formaction`), hydrated
/// by navigating to the same URL — and the dialog then shows the key's SHA256 fingerprint (fetched
/// by the server with `ssh-keyscan`) with a box to confirm it. Ticking the box sends the fingerprint
/// with OK as `host_key_sha256`; the server fetches the key again, pins it only if it still matches,
/// and connects with Vireo's key and that pinned key only.
#[component]
pub fn SshHostKey(
    /// The dialog's URL for "Fetch host key" from its current fields (hydrated).
    fetch_url: Callback<(), String>,
    /// Hidden while another transport is chosen (hydrated only).
    #[prop(into)]
    hidden: Signal<bool>,
) -> impl IntoView {
    let url = use_query_map();
    let identity = Resource::new(|| (), |_| vireo_ssh_key());
    // The fetch step is in the URL: `scan=1` with the address fields.
    let wanted = move || {
        url.with(|q| {
            (q.get("scan").as_deref() == Some("1") && q.get("transport").as_deref() == Some("ssh")).then(|| {
                (
                    q.get("address").unwrap_or_default(),
                    q.get("user").unwrap_or_default(),
                    q.get("port").unwrap_or_default(),
                )
            })
        })
    };
    let scan = Resource::new(wanted, |wanted| async move {
        match wanted {
            Some((address, user, port)) => Some(scan_host_key(address, user, port).await),
            None => None,
        }
    });
    let navigate = use_navigate();
    let fetch = move |ev: leptos::ev::MouseEvent| {
        // Hydrated: the dialog's own form is the add_host action's; go to the GET URL instead.
        ev.prevent_default();
        navigate(&fetch_url.run(()), Default::default());
    };
    view! {
        <fieldset id="host-ssh" class="ssh-host-key" hidden=hidden>
            <legend>"SSH"</legend>
            // In a Suspense so the server renders the key (JavaScript off) rather than an empty box.
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading Vireo's SSH key…"</p> }
            }>
                {move || {
                    identity
                        .get()
                        .map(|answer| {
                            let (public_key, line) = match answer {
                                Ok(id) => (id.public_key, id.authorized_keys_line),
                                Err(e) => (e.to_string(), String::new()),
                            };
                            view! {
                                <label for="host-ssh-public-key">"Vireo's SSH public key"</label>
                                <textarea id="host-ssh-public-key" class="mono" readonly rows="2">
                                    {public_key}
                                </textarea>
                                <label for="host-authorized-keys">"authorized_keys line"</label>
                                <textarea id="host-authorized-keys" class="mono" readonly rows="2">
                                    {line}
                                </textarea>
                            }
                        })
                }}
            </Suspense>
            <p class="hint">
                "Append this line to ~/.ssh/authorized_keys of the user above on the host. Vireo connects with this key only, over libvirt's libssh transport."
            </p>
            <button
                type="submit"
                id="host-fetch-key"
                class="btn"
                formaction="/hosts"
                formmethod="get"
                formnovalidate=true
                name="scan"
                value="1"
                on:click=fetch
            >
                "Fetch host key"
            </button>
            <Suspense fallback=|| {
                view! { <p class="loading">"Fetching the host key…"</p> }
            }>
                {move || {
                    scan.get()
                        .flatten()
                        .map(|answer| match answer {
                            Ok(key) => {
                                view! {
                                    <p id="host-key-fingerprint">
                                        "Host key of " {key.from.clone()} ": " {key.key_type.clone()} " "
                                        <code>{key.fingerprint.clone()}</code>
                                    </p>
                                    <p class="hint">
                                        "Compare it with the host's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub (run on the host)."
                                    </p>
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            id="host-key-confirm"
                                            name="host_key_sha256"
                                            value=key.fingerprint
                                        />
                                        " This is the host's key: pin it"
                                    </label>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                let message = match &e {
                                    AppError::Validation { errors } => {
                                        errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ")
                                    }
                                    other => other.to_string(),
                                };
                                view! {
                                    <p class="field-error" id="host-key-error">
                                        {message}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </fieldset>
    }
}
