//! The Upload dialog: an image file (qcow2, raw or ISO) from the browser into a storage domain.
//! The file goes as the body of `PUT /api/disks/upload` through `XMLHttpRequest`, whose upload
//! progress events drive the progress bar (a server function or `fetch` would give none), and which
//! Cancel aborts (the server then deletes what it had written). Hydrated only: sending a
//! multi-GiB file takes JavaScript, so without it the dialog says so and names the alternatives.

use crate::api::disk_upload::upload_storage_domains;
use crate::components::error_notice::{field_errors, form_error};
use crate::domain::storage::{format_bytes, DiskFormat};
use crate::error::AppError;
use crate::models::DiskView;
use leptos::prelude::*;

/// The upload's address: the fields as its query, each percent-encoded (everything but RFC 3986's
/// unreserved characters).
pub fn upload_url(name: &str, storage_domain_id: &str, format: &str) -> String {
    fn encode(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }
    format!(
        "/api/disks/upload?name={}&storage_domain_id={}&format={}",
        encode(name),
        encode(storage_domain_id),
        encode(format)
    )
}

/// "42% — 27 MiB of 64 MiB" for the progress bar's label.
pub fn progress_text(loaded: f64, total: f64) -> String {
    let percent = if total > 0.0 {
        (loaded / total * 100.0).floor().clamp(0.0, 100.0)
    } else {
        0.0
    };
    format!(
        "{percent:.0}% — {} of {}",
        format_bytes(loaded.max(0.0) as u64),
        format_bytes(total.max(0.0) as u64)
    )
}

/// What the server answered, read as the dialog shows it: the disk (201) or the typed error.
pub fn read_answer(status: u16, body: &str) -> Result<DiskView, AppError> {
    if status == 201 {
        return serde_json::from_str(body).map_err(|_| AppError::Transport {
            message: "The server's answer could not be read.".into(),
        });
    }
    Err(serde_json::from_str(body).unwrap_or_else(|_| AppError::Transport {
        message: format!("The server answered {status}."),
    }))
}

/// The name a file suggests for its disk: the file name without its extension, cut to 64
/// characters (the name rules then apply as to any disk).
pub fn name_from_file(file_name: &str) -> String {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem);
    stem.chars().take(64).collect()
}

/// What the dialog says before it is hydrated (and forever with JavaScript off).
fn no_js_note() -> impl IntoView {
    view! {
        <div class="alert alert-info" role="note" id="upload-needs-js">
            <p>"Uploading an image needs JavaScript (the browser streams the file and shows its progress)."</p>
            <p>
                "Without it, send the file with curl: "
                <code>
                    "curl -b vireo_session=… --upload-file disk.qcow2 '/api/disks/upload?name=…&storage_domain_id=…&format=qcow2'"
                </code> ", or put it into the storage domain's pool on the host with "
                <code>"virsh vol-create-as"</code> " and " <code>"virsh vol-upload"</code>
                " and refresh the storage domain."
            </p>
        </div>
    }
}

/// The dialog's body: fields, progress and buttons. `close_href` is where Close leads.
#[component]
pub fn DiskUploadDialog(#[prop(into)] close_href: String) -> impl IntoView {
    let domains = Resource::new(|| (), |_| upload_storage_domains());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let name = RwSignal::new(String::new());
    let domain = RwSignal::new(String::new());
    let format = RwSignal::new(DiskFormat::Qcow2.as_str().to_string());
    let file_input = NodeRef::<leptos::html::Input>::new();
    // True while the request is under way (Cancel shows, the fields are locked).
    let sending = RwSignal::new(false);
    let progress = RwSignal::new((0.0f64, 0.0f64));
    let error = RwSignal::new(None::<AppError>);
    let uploaded = RwSignal::new(None::<DiskView>);
    #[cfg(feature = "hydrate")]
    let request = StoredValue::new_local(None::<web_sys::XmlHttpRequest>);

    // Reading the chosen file needs the browser's File API: these handlers only run hydrated.
    let on_file = move |_: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = browser::chosen_file(&file_input) {
            let file_name = file.name();
            if let Some(guess) = crate::domain::image_header::format_from_file_name(&file_name) {
                format.set(guess.as_str().to_string());
            }
            if name.with(String::is_empty) {
                name.set(name_from_file(&file_name));
            }
        }
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            error.set(None);
            uploaded.set(None);
            let Some(file) = browser::chosen_file(&file_input) else {
                error.set(Some(AppError::validation("file", "Choose the image file to upload.")));
                return;
            };
            let url = upload_url(&name.get_untracked(), &domain.get_untracked(), &format.get_untracked());
            progress.set((0.0, file.size()));
            sending.set(true);
            let finished = move |answer: Result<DiskView, AppError>| {
                match answer {
                    Ok(disk) => {
                        uploaded.set(Some(disk));
                        sending.set(false);
                    }
                    Err(e) => {
                        error.set(Some(e));
                        sending.set(false);
                    }
                }
                request.set_value(None);
            };
            let declared = DiskFormat::parse(&format.get_untracked());
            // The server's own head check, run on the file's first 32 KiB before a byte is sent:
            // a wrong format shows at once instead of after the server refused the stream. The
            // server checks again (it is the one that counts).
            let to_send = file.clone();
            let checked = move |head: Option<Vec<u8>>| {
                if let (Some(head), Some(declared)) = (head, declared) {
                    if let Some(problem) = crate::domain::image_header::upload_head_problem(declared, &head) {
                        let field = if crate::domain::storage::detect_format(&head) == declared {
                            "file"
                        } else {
                            "format"
                        };
                        error.set(Some(AppError::validation(field, problem)));
                        sending.set(false);
                        return;
                    }
                }
                match browser::send(&url, &to_send, progress, finished) {
                    Ok(xhr) => request.set_value(Some(xhr)),
                    Err(e) => {
                        error.set(Some(e));
                        sending.set(false);
                    }
                }
            };
            browser::read_head(&file, checked);
        }
    };

    let on_cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        request.with_value(|xhr| {
            if let Some(xhr) = xhr {
                // Its abort handler reports the cancel; the server deletes what it had written.
                let _ = xhr.abort();
            }
        });
    };

    let uploading = move || sending.get();
    let percent = move || {
        let (loaded, total) = progress.get();
        if total > 0.0 {
            (loaded / total * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        }
    };
    let err = move || error.get();

    let close = StoredValue::new(close_href);
    view! {
        <Show when=move || hydrated.get() fallback=no_js_note>
            <form class="form" id="disk-upload-form" on:submit=on_submit>
                {move || form_error(err())}
                <label for="upload-file">"File"</label>
                <input
                    id="upload-file"
                    name="file"
                    type="file"
                    accept=".qcow2,.qcow,.img,.raw,.iso"
                    node_ref=file_input
                    on:change=on_file
                    disabled=uploading
                    required
                />
                {move || field_errors(err(), "file")}
                <label for="upload-name">"Name"</label>
                <input
                    id="upload-name"
                    name="name"
                    type="text"
                    maxlength="64"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                    disabled=uploading
                    required
                />
                {move || field_errors(err(), "name")}
                <label for="upload-domain">"Storage Domain"</label>
                <Suspense fallback=|| {
                    view! { <p>"Loading storage domains…"</p> }
                }>
                    {move || {
                        domains
                            .get()
                            .map(|listed| match listed {
                                Ok(list) => {
                                    if domain.with_untracked(String::is_empty) {
                                        if let Some(first) = list.first() {
                                            domain.set(first.id.to_string());
                                        }
                                    }
                                    view! {
                                        <select
                                            id="upload-domain"
                                            name="storage_domain_id"
                                            prop:value=move || domain.get()
                                            on:change=move |ev| domain.set(event_target_value(&ev))
                                            disabled=uploading
                                        >
                                            {list
                                                .into_iter()
                                                .map(|d| {
                                                    let label = format!(
                                                        "{} ({}, {} free)",
                                                        d.name,
                                                        d.host_name,
                                                        format_bytes(d.available_bytes.max(0) as u64),
                                                    );
                                                    view! { <option value=d.id.to_string()>{label}</option> }
                                                })
                                                .collect_view()}
                                        </select>
                                    }
                                        .into_any()
                                }
                                Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                            })
                    }}
                </Suspense>
                {move || field_errors(err(), "storage_domain_id")}
                <label for="upload-format">"Format"</label>
                <select
                    id="upload-format"
                    name="format"
                    prop:value=move || format.get()
                    on:change=move |ev| format.set(event_target_value(&ev))
                    disabled=uploading
                >
                    {DiskFormat::ALL
                        .iter()
                        .map(|f| view! { <option value=f.as_str()>{f.label()}</option> })
                        .collect_view()}
                </select>
                {move || field_errors(err(), "format")}
                <div class="upload-progress" hidden=move || !sending.get() && progress.get().0 == 0.0>
                    <progress id="upload-progress" max="100" value=percent aria-label="Upload progress"></progress>
                    <span id="upload-progress-text" aria-live="polite">
                        {move || {
                            let (loaded, total) = progress.get();
                            progress_text(loaded, total)
                        }}
                    </span>
                </div>
                {move || {
                    uploaded
                        .get()
                        .map(|d| {
                            view! {
                                <div class="alert alert-info" role="status" id="upload-done">
                                    {format!(
                                        "Disk {} uploaded to {}: {} ({}), {}.",
                                        d.name,
                                        d.storage_domain_name,
                                        format_bytes(d.provisioned_bytes.max(0) as u64),
                                        d.format.label(),
                                        d.status.label(),
                                    )}
                                </div>
                            }
                        })
                }}
                <div class="form-actions">
                    <Show
                        when=uploading
                        fallback=move || {
                            view! {
                                <a class="btn" href=close.get_value()>
                                    "Close"
                                </a>
                            }
                        }
                    >
                        <button type="button" class="btn" on:click=on_cancel>
                            "Cancel"
                        </button>
                    </Show>
                    <button type="submit" class="btn btn-primary" disabled=uploading>
                        "Upload"
                    </button>
                </div>
            </form>
        </Show>
    }
}

/// The browser's side: `XMLHttpRequest` with its upload progress, load, error and abort handlers.
#[cfg(feature = "hydrate")]
mod browser {
    use super::read_answer;
    use crate::error::AppError;
    use crate::models::DiskView;
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// A callback several browser events may end with (load, error, abort): the first one runs it.
    #[derive(Clone)]
    struct Once<T>(Rc<RefCell<Option<Callback<T>>>>);

    type Callback<T> = Box<dyn FnOnce(T)>;

    impl<T> Once<T> {
        fn new(f: impl FnOnce(T) + 'static) -> Self {
            Self(Rc::new(RefCell::new(Some(Box::new(f)))))
        }

        fn call(&self, value: T) {
            let f = self.0.borrow_mut().take();
            if let Some(f) = f {
                f(value);
            }
        }
    }

    /// The file the input holds, if one was chosen.
    pub fn chosen_file(input: &NodeRef<leptos::html::Input>) -> Option<web_sys::File> {
        input.get_untracked()?.files()?.get(0)
    }

    /// Reads the first `HEAD_BYTES` of `file` (all of a shorter one) and hands them to `then`;
    /// `None` when the browser could not read it (the server's check still applies).
    pub fn read_head(file: &web_sys::File, then: impl FnOnce(Option<Vec<u8>>) + 'static) {
        let then = Once::new(then);
        let call = |then: &Once<Option<Vec<u8>>>, head| then.call(head);
        let end = file.size().min(crate::domain::image_header::HEAD_BYTES as f64);
        let started = file.slice_with_f64_and_f64(0.0, end).and_then(|blob| {
            let reader = web_sys::FileReader::new()?;
            let on_load = {
                let (reader, then) = (reader.clone(), then.clone());
                Closure::once_into_js(move || {
                    let head = reader
                        .result()
                        .ok()
                        .map(|buffer| web_sys::js_sys::Uint8Array::new(&buffer).to_vec());
                    call(&then, head);
                })
            };
            let on_error = {
                let then = then.clone();
                Closure::once_into_js(move || call(&then, None))
            };
            reader.set_onload(Some(on_load.unchecked_ref()));
            reader.set_onerror(Some(on_error.unchecked_ref()));
            reader.read_as_array_buffer(&blob)
        });
        if started.is_err() {
            call(&then, None);
        }
    }

    /// Starts sending `file`; `done` runs once, with the disk or the error (cancel included).
    pub fn send(
        url: &str,
        file: &web_sys::File,
        progress: RwSignal<(f64, f64)>,
        done: impl FnOnce(Result<DiskView, AppError>) + 'static,
    ) -> Result<web_sys::XmlHttpRequest, AppError> {
        let failed = |_| AppError::Transport {
            message: "The browser could not start the upload.".into(),
        };
        let xhr = web_sys::XmlHttpRequest::new().map_err(failed)?;
        xhr.open("PUT", url).map_err(failed)?;
        let done = Once::new(done);
        let finish = move |answer| done.call(answer);

        let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() {
                progress.set((e.loaded(), e.total()));
            }
        });
        xhr.upload()
            .map_err(failed)?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));

        let on_load = {
            let xhr = xhr.clone();
            let finish = finish.clone();
            Closure::<dyn FnMut()>::new(move || {
                let body = xhr.response_text().ok().flatten().unwrap_or_default();
                finish(read_answer(xhr.status().unwrap_or(0), &body));
            })
        };
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        let on_error = {
            let finish = finish.clone();
            Closure::<dyn FnMut()>::new(move || {
                finish(Err(AppError::Transport {
                    message: "The connection broke during the upload; nothing was kept.".into(),
                }))
            })
        };
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let on_abort = Closure::<dyn FnMut()>::new(move || {
            finish(Err(AppError::Transport {
                message: "Upload cancelled; nothing was kept.".into(),
            }))
        });
        xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
        // The handlers live as long as the request, which the browser keeps until it ends; one
        // upload's four closures are left to the page's lifetime.
        on_progress.forget();
        on_load.forget();
        on_error.forget();
        on_abort.forget();

        xhr.send_with_opt_blob(Some(file)).map_err(failed)?;
        Ok(xhr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_carries_the_fields_encoded() {
        assert_eq!(
            upload_url("deb 12/ä&x=1", "00000000-0000-0000-0000-000000000001", "qcow2"),
            "/api/disks/upload?name=deb%2012%2F%C3%A4%26x%3D1&storage_domain_id=00000000-0000-0000-0000-000000000001&format=qcow2"
        );
    }

    #[test]
    fn progress_reads_as_percent_and_bytes() {
        assert_eq!(progress_text(0.0, 0.0), "0% — 0 B of 0 B");
        assert_eq!(
            progress_text(32.0 * 1048576.0, 64.0 * 1048576.0),
            "50% — 32 MiB of 64 MiB"
        );
        assert_eq!(progress_text(2.0, 1.0), "100% — 2 B of 1 B");
    }

    #[test]
    fn answers_are_the_disk_or_the_typed_error() {
        let err = read_answer(403, &serde_json::to_string(&AppError::Forbidden).unwrap());
        assert_eq!(err.unwrap_err(), AppError::Forbidden);
        assert!(matches!(read_answer(502, "<html>"), Err(AppError::Transport { .. })));
        assert!(matches!(read_answer(201, "{}"), Err(AppError::Transport { .. })));
    }

    #[test]
    fn file_names_suggest_disk_names() {
        assert_eq!(name_from_file("debian-12.qcow2"), "debian-12");
        assert_eq!(name_from_file("noext"), "noext");
        assert_eq!(name_from_file(&format!("{}.iso", "x".repeat(100))).len(), 64);
    }
}
