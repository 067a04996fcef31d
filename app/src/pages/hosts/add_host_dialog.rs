use crate::api::clusters::list_clusters;
use crate::api::hosts::{topology_files, AddHost};
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::host_address::{AddressFields, Transport};
use crate::pages::hosts::ssh_host_key::SshHostKey;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// "Add host": a name, a cluster, and where the host is — a transport with its address, user and
/// port, or a simulated host with its shipped topology. There is no URI field: the server builds
/// the libvirt URI from the validated parts (`domain::host_address`), and the dialog previews it
/// with the same function. The server connects and reads the topology before storing anything; an
/// unreachable host comes back as an error here and nothing is stored. Posts to the `add_host`
/// server function, so it also works as a plain form with JavaScript off. An SSH host's key is
/// fetched and confirmed first (`SshHostKey`): that step reloads the dialog with its fields in the
/// URL, from which the fields start.
#[component]
pub fn AddHostDialog(on_added: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let action = ServerAction::<AddHost>::new();
    let choices = Resource::new(|| (), |_| async { (list_clusters().await, topology_files().await) });
    let pending = action.pending();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            on_added();
        }
    });
    // Effects only run in the browser: with JavaScript off every field stays enabled (the server
    // names a filled field the transport does not take); hydrated, those fields are disabled and
    // so not sent.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // The fields start from the URL (the SSH key step's reload, or a no-JS post sent back with its error).
    let url = use_query_map();
    let initial = move |key: &str| url.with_untracked(|q| q.get(key).unwrap_or_default());
    let transport = RwSignal::new(Transport::parse(&initial("transport")).unwrap_or(Transport::Ssh));
    let name = RwSignal::new(initial("name"));
    let address = RwSignal::new(initial("address"));
    let user = RwSignal::new(initial("user"));
    let port = RwSignal::new(initial("port"));
    let cluster = RwSignal::new(initial("cluster_id"));
    let fetch_url = Callback::new(move |()| {
        let mut q = ParamsMap::new();
        q.insert("dialog", "add".to_string());
        q.insert("name", name.get_untracked());
        q.insert("transport", transport.get_untracked().as_str().to_string());
        q.insert("address", address.get_untracked());
        q.insert("user", user.get_untracked());
        q.insert("port", port.get_untracked());
        q.insert("cluster_id", cluster.get_untracked());
        q.insert("scan", "1".to_string());
        format!("/hosts{}", q.to_query_string())
    });
    let off = move |takes: fn(Transport) -> bool| move || hydrated.get() && !takes(transport.get());
    let preview = move || {
        let t = transport.get();
        let (a, u, p) = (address.get(), user.get(), port.get());
        AddressFields {
            transport: t.as_str(),
            address: if t.takes_address() { &a } else { "" },
            user: if t.takes_user() { &u } else { "" },
            port: if t.takes_port() { &p } else { "" },
            simulated_topology: "",
        }
        .preview()
    };

    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field_error = move |field: &'static str| move || field_errors(error.get(), field);
    // One part of where the host is (`host-<name>`), disabled while the transport does not take it.
    let address_part = move |name: &'static str,
                             label: &'static str,
                             maxlength: &'static str,
                             placeholder: Option<&'static str>,
                             inputmode: Option<&'static str>,
                             value: RwSignal<String>| {
        let id = format!("host-{name}");
        let takes = match name {
            "address" => Transport::takes_address,
            "user" => Transport::takes_user,
            _ => Transport::takes_port,
        };
        let hint = (name == "address")
            .then(|| view! { <p class="hint">"A host name, an IPv4 address, or an IPv6 address in brackets."</p> });
        let initial = value.get_untracked();
        view! {
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                value=initial
                type="text"
                inputmode=inputmode
                maxlength=maxlength
                placeholder=placeholder
                disabled=off(takes)
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {hint}
            {field_error(name)}
        }
    };

    view! {
        <Modal title="Add Host" id="add-host-dialog" close_href="/hosts">
            <ActionForm action attr:class="form" attr:id="add-host-form">
                <DialogBody
                    error
                    close_href="/hosts"
                    pending
                    submit=move || if pending.get() { "Connecting…" } else { "OK" }
                >
                    <input type="hidden" name="dialog" value="add" />
                    <label for="host-name">"Name"</label>
                    <input
                        id="host-name"
                        name="name"
                        type="text"
                        required
                        maxlength="64"
                        value=name.get_untracked()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    {field_error("name")}

                    <label for="host-transport">"Transport"</label>
                    <select
                        id="host-transport"
                        name="transport"
                        on:change=move |ev| {
                            transport.set(Transport::parse(&event_target_value(&ev)).unwrap_or(Transport::Ssh))
                        }
                    >
                        {Transport::ALL
                            .into_iter()
                            .map(|t| {
                                let chosen = t == transport.get_untracked();
                                view! {
                                    <option value=t.as_str() selected=chosen>
                                        {t.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p class="hint">
                        "SSH and TLS reach a remote libvirt; This machine is qemu:///system; a simulated host runs on libvirt's test driver with a shipped topology."
                    </p>
                    {field_error("transport")}

                    {address_part("address", "Address (SSH, TLS)", "255", Some("kvm1.example.com"), None, address)}
                    {address_part("user", "User (SSH, optional)", "32", Some("root"), None, user)}
                    {address_part("port", "Port (SSH, TLS, optional)", "5", None, Some("numeric"), port)}

                    <SshHostKey
                        fetch_url
                        hidden=Signal::derive(move || hydrated.get() && transport.get() != Transport::Ssh)
                    />
                    {field_error("host_key_sha256")}

                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading…"</p> }
                    }>
                        {move || {
                            choices
                                .get()
                                .map(|(clusters, files)| {
                                    let clusters = clusters.unwrap_or_default();
                                    let files = files.unwrap_or_default();
                                    view! {
                                        <label for="host-topology">"Simulated topology (simulated hosts only)"</label>
                                        <select
                                            id="host-topology"
                                            name="simulated_topology"
                                            disabled=off(Transport::is_simulated)
                                        >
                                            <option value="">"— (a simulated host takes the first below)"</option>
                                            {files
                                                .into_iter()
                                                .map(|f| view! { <option value=f.id>{f.label}</option> })
                                                .collect_view()}
                                        </select>
                                        <label for="host-cluster">"Cluster"</label>
                                        <select
                                            id="host-cluster"
                                            name="cluster_id"
                                            on:change=move |ev| cluster.set(event_target_value(&ev))
                                        >
                                            {clusters
                                                .into_iter()
                                                .map(|c| {
                                                    let id = c.id.to_string();
                                                    let chosen = id == cluster.get_untracked();
                                                    view! {
                                                        <option value=id selected=chosen>
                                                            {c.name}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                    }
                                })
                        }}
                    </Suspense>
                    {field_error("simulated_topology")}
                    {field_error("cluster_id")}

                    <label for="host-uri-preview" id="host-uri-preview-label">
                        "libvirt URI Vireo will use"
                    </label>
                    <output
                        id="host-uri-preview"
                        aria-labelledby="host-uri-preview-label"
                        for="host-transport host-address host-user host-port"
                    >
                        {preview}
                    </output>
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
