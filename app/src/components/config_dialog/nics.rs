//! General's "Network Interfaces" (oVirt's "Instantiate VM network interfaces by picking a vNIC
//! profile"): the draft's NICs, each with a profile select, and + / − to add and remove one. A new
//! VM from Blank starts with `nic1` on its cluster's default profile (the `new_draft` server
//! function gives it); when the cluster changes, NICs on another cluster's profile move to the new
//! cluster's default. An edited object lists its NICs (the Network Interfaces sub-tab changes them)
//! and keeps them as hidden fields.
//!
//! Every NIC travels as the form pairs `nic.{i}.id|name|profile|model|mac|linked|plugged` (`i` from
//! 0), so a plain form post keeps them; with JavaScript off, + and − are submit buttons
//! (`op=nic_add`, `op=nic_remove.{i}`) that the dialog's round trip applies (`apply_nic_op`).

use super::state::DialogState;
use crate::api::networks::new_nic_id;
use crate::components::nics_tab::EMPTY_PROFILE;
use crate::domain::draft::VmDraft;
use crate::domain::network::{next_nic_name, Nic, MAX_NICS};
use crate::models::VnicProfileView;
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

/// Moves every NIC whose profile is not one of `cluster_profiles` onto `default` (or onto no
/// network when the cluster has no default). Says whether anything moved.
pub fn retarget_nics(nics: &mut [Nic], cluster_profiles: &[Uuid], default: Option<Uuid>) -> bool {
    let mut moved = false;
    for nic in nics.iter_mut() {
        if nic.vnic_profile_id.is_some_and(|p| !cluster_profiles.contains(&p)) {
            nic.vnic_profile_id = default;
            moved = true;
        }
    }
    moved
}

/// Adds a NIC with `id` (minted on the server) to the draft: the next free name, a linked, plugged
/// virtio NIC on `profile`. False (nothing added) at the limit.
pub fn add_nic(nics: &mut Vec<Nic>, id: Uuid, profile: Option<Uuid>) -> bool {
    if nics.len() >= MAX_NICS {
        return false;
    }
    nics.push(Nic::with_id(id, next_nic_name(nics), profile));
    true
}

/// The JavaScript-off round trip's `op`: `nic_add` adds a NIC with `new_id` on `default`,
/// `nic_remove.{i}` removes the i-th. Other ops change nothing here.
pub fn apply_nic_op(draft: &mut VmDraft, op: &str, new_id: Uuid, default: Option<Uuid>) {
    if op == "nic_add" {
        add_nic(&mut draft.config.nics, new_id, default);
    } else if let Some(i) = op.strip_prefix("nic_remove.").and_then(|i| i.parse::<usize>().ok()) {
        if i < draft.config.nics.len() {
            draft.config.nics.remove(i);
        }
    }
}

/// The profiles of the draft's cluster (all of them when it has none).
pub fn cluster_profiles(profiles: &[VnicProfileView], cluster: Option<Uuid>) -> Vec<VnicProfileView> {
    let mut list: Vec<VnicProfileView> = profiles
        .iter()
        .filter(|p| cluster.is_none_or(|c| p.cluster_id == c))
        .cloned()
        .collect();
    list.sort_by(|a, b| (&a.network_name, &a.name).cmp(&(&b.network_name, &b.name)));
    list
}

/// The form pairs of one NIC but its profile (`nic.{i}.…`).
fn hidden_pairs(i: usize, nic: &Nic) -> Vec<(String, String)> {
    vec![
        (format!("nic.{i}.id"), nic.id.to_string()),
        (format!("nic.{i}.name"), nic.name.clone()),
        (format!("nic.{i}.model"), nic.model.as_str().to_string()),
        (
            format!("nic.{i}.mac"),
            nic.mac.map(|m| m.to_string()).unwrap_or_default(),
        ),
        (format!("nic.{i}.linked"), nic.linked.to_string()),
        (format!("nic.{i}.plugged"), nic.plugged.to_string()),
    ]
}

fn hidden_inputs(pairs: Vec<(String, String)>) -> impl IntoView {
    pairs
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view()
}

/// "+" in the browser: a NIC on the cluster's default profile, its id from the server.
fn add_in_browser(s: DialogState, defaults: ClusterDefault) {
    spawn_local(async move {
        match new_nic_id().await {
            Ok(id) => {
                let default = defaults.0.get_untracked();
                s.draft.update(|d| {
                    add_nic(&mut d.config.nics, id, default);
                });
                s.clear_error("nics");
            }
            Err(e) => s.notice.set(Some(e)),
        }
    });
}

/// The default profile of the draft's cluster, as the dialog last learned it.
#[derive(Clone, Copy)]
pub struct ClusterDefault(pub RwSignal<Option<Uuid>>);

/// One NIC's row: its name as the select's label, the profile select, + and −.
fn nic_row(
    s: DialogState,
    defaults: ClusterDefault,
    i: usize,
    nic: Nic,
    profiles: Vec<VnicProfileView>,
) -> impl IntoView {
    let select_id = format!("f-nic-{i}-profile");
    let label_for = select_id.clone();
    let chosen = nic.vnic_profile_id;
    let options = std::iter::once(
        view! {
            <option value="" selected=chosen.is_none()>
                {EMPTY_PROFILE}
            </option>
        }
        .into_any(),
    )
    .chain(profiles.into_iter().map(|p| {
        view! {
            <option value=p.id.to_string() selected=chosen == Some(p.id)>
                {format!("{}/{}", p.network_name, p.name)}
            </option>
        }
        .into_any()
    }))
    .collect_view();
    let nic_id = nic.id;
    let name = nic.name.clone();
    view! {
        <div class="nic-row" data-nic=name.clone()>
            {hidden_inputs(hidden_pairs(i, &nic))}
            <label for=label_for>{name.clone()}</label>
            <select
                id=select_id
                name=format!("nic.{i}.profile")
                on:change=move |ev| {
                    let v = Uuid::parse_str(&event_target_value(&ev)).ok();
                    s.draft
                        .update(|d| {
                            d.config.nics.iter_mut().filter(|n| n.id == nic_id).for_each(|n| n.vnic_profile_id = v)
                        });
                    s.clear_error("nics");
                }
            >
                {options}
            </select>
            <button
                type="submit"
                class="btn"
                name="op"
                value="nic_add"
                aria-label=format!("Add a network interface after {name}")
                title="Add a network interface"
                on:click=move |ev: MouseEvent| {
                    ev.prevent_default();
                    add_in_browser(s, defaults);
                }
            >
                "+"
            </button>
            <button
                type="submit"
                class="btn"
                name="op"
                value=format!("nic_remove.{i}")
                aria-label=format!("Remove {name}")
                title="Remove this network interface"
                on:click=move |ev: MouseEvent| {
                    ev.prevent_default();
                    s.draft.update(|d| d.config.nics.retain(|n| n.id != nic_id));
                    s.clear_error("nics");
                }
            >
                "−"
            </button>
        </div>
    }
}

#[component]
fn NicErrors() -> impl IntoView {
    let s = expect_context::<DialogState>();
    move || {
        s.field_errors("nics")
            .into_iter()
            .map(|m| {
                view! {
                    <p class="field-error" role="alert">
                        {m}
                    </p>
                }
            })
            .collect_view()
    }
}

/// The section. `editable`: a new VM's or Template's dialog (an edited object and a pool list their
/// NICs and keep them).
#[component]
pub fn NetworkInterfaces(editable: bool, #[prop(optional)] pool: bool) -> impl IntoView {
    let s = expect_context::<DialogState>();
    let defaults = expect_context::<ClusterDefault>();
    let profiles = move || {
        s.options
            .with(|o| cluster_profiles(&o.vnic_profiles, s.draft.with(|d| d.cluster_id)))
    };
    // Redrawn when the NIC list or the cluster changes, not on every keystroke elsewhere.
    let nics = Memo::new(move |_| s.draft.with(|d| (d.config.nics.clone(), d.cluster_id)));
    let rows = move || {
        let (list, _) = nics.get();
        if !editable {
            let summary = if pool {
                "The pool's VMs get the template's network interfaces, each with its own MAC address.".to_string()
            } else if list.is_empty() {
                "No network interfaces; add them on the Network Interfaces sub-tab.".to_string()
            } else {
                format!(
                    "{}; add, edit and remove them on the Network Interfaces sub-tab.",
                    list.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            };
            let pairs = list
                .iter()
                .enumerate()
                .flat_map(|(i, n)| {
                    let mut p = hidden_pairs(i, n);
                    p.push((
                        format!("nic.{i}.profile"),
                        n.vnic_profile_id.map(|p| p.to_string()).unwrap_or_default(),
                    ));
                    p
                })
                .collect();
            return view! {
                {hidden_inputs(pairs)}
                <p class="hint" data-testid="nic-summary">
                    {summary}
                </p>
            }
            .into_any();
        }
        if list.is_empty() {
            return view! {
                <p class="hint">"No network interfaces."</p>
                <button
                    type="submit"
                    class="btn"
                    name="op"
                    value="nic_add"
                    aria-label="Add a network interface"
                    on:click=move |ev: MouseEvent| {
                        ev.prevent_default();
                        add_in_browser(s, defaults);
                    }
                >
                    "+"
                </button>
            }
            .into_any();
        }
        let profiles = profiles();
        list.into_iter()
            .enumerate()
            .map(|(i, nic)| nic_row(s, defaults, i, nic, profiles.clone()))
            .collect_view()
            .into_any()
    };
    view! {
        <fieldset class="vm-nics" data-testid="dialog-nics">
            <legend>"Network Interfaces"</legend>
            {editable
                .then(|| view! { <p class="hint">"Instantiate VM network interfaces by picking a vNIC profile."</p> })}
            {rows}
            <NicErrors />
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nic(id: u128, name: &str, profile: Option<Uuid>) -> Nic {
        let mut list = Vec::new();
        add_nic(&mut list, Uuid::from_u128(id), profile);
        Nic {
            name: name.into(),
            ..list.remove(0)
        }
    }

    #[test]
    fn nics_on_another_clusters_profiles_move_to_the_default() {
        let (a, b, other, default) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let mut nics = vec![
            nic(1, "nic1", Some(a)),
            nic(2, "nic2", Some(other)),
            nic(3, "nic3", None),
        ];
        assert!(retarget_nics(&mut nics, &[a, b, default], Some(default)));
        assert_eq!(nics[0].vnic_profile_id, Some(a), "in the cluster: kept");
        assert_eq!(nics[1].vnic_profile_id, Some(default), "foreign: the default");
        assert_eq!(nics[2].vnic_profile_id, None, "<Empty> stays");
        assert!(
            !retarget_nics(&mut nics, &[a, b, default], Some(default)),
            "nothing left to move"
        );
        let mut lonely = vec![nic(4, "nic1", Some(other))];
        assert!(retarget_nics(&mut lonely, &[], None));
        assert_eq!(lonely[0].vnic_profile_id, None, "no default: no network");
    }

    #[test]
    fn the_round_trip_ops_add_and_remove() {
        let mut d = VmDraft::new(crate::domain::draft::ConfigKind::Vm, Default::default());
        let p = Uuid::from_u128(9);
        apply_nic_op(&mut d, "nic_add", Uuid::from_u128(101), Some(p));
        apply_nic_op(&mut d, "nic_add", Uuid::from_u128(102), None);
        let names: Vec<_> = d.config.nics.iter().map(|n| n.name.clone()).collect();
        assert_eq!(names, ["nic1", "nic2"]);
        assert_eq!(d.config.nics[0].vnic_profile_id, Some(p));
        apply_nic_op(&mut d, "nic_remove.0", Uuid::from_u128(103), None);
        assert_eq!(d.config.nics.len(), 1);
        assert_eq!(d.config.nics[0].name, "nic2");
        apply_nic_op(&mut d, "nic_remove.7", Uuid::from_u128(104), None);
        apply_nic_op(&mut d, "nic_remove.x", Uuid::from_u128(105), None);
        apply_nic_op(&mut d, "refresh", Uuid::from_u128(106), None);
        assert_eq!(
            d.config.nics.len(),
            1,
            "out of range, unreadable and other ops change nothing"
        );
        for n in 0..40 {
            apply_nic_op(&mut d, "nic_add", Uuid::from_u128(1000 + n + 107), None);
        }
        assert_eq!(d.config.nics.len(), MAX_NICS, "bounded");
        // The next free name fills the gap.
        apply_nic_op(&mut d, "nic_remove.0", Uuid::from_u128(108), None);
        apply_nic_op(&mut d, "nic_add", Uuid::from_u128(109), None);
        assert!(d.config.nics.iter().any(|n| n.name == "nic2"));
    }

    #[test]
    fn the_selects_offer_the_clusters_profiles_sorted() {
        let profile = |name: &str, network: &str, cluster: u128| VnicProfileView {
            id: Uuid::from_u128(
                cluster * 1000 + network.len() as u128 * 10 + name.len() as u128 + name.as_bytes()[0] as u128 * 7,
            ),
            name: name.into(),
            description: String::new(),
            network_id: Uuid::nil(),
            network_name: network.into(),
            cluster_id: Uuid::from_u128(cluster),
            network_filter: None,
            port_mirroring: false,
            multiqueue: false,
            is_default: false,
            nic_count: 0,
            version: 1,
        };
        let all = vec![
            profile("z", "default", 1),
            profile("a", "lab", 1),
            profile("b", "default", 2),
            profile("a", "default", 1),
        ];
        let names: Vec<_> = cluster_profiles(&all, Some(Uuid::from_u128(1)))
            .iter()
            .map(|p| format!("{}/{}", p.network_name, p.name))
            .collect();
        assert_eq!(names, ["default/a", "default/z", "lab/a"]);
        assert_eq!(cluster_profiles(&all, None).len(), 4);
    }
}
