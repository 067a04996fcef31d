//! `POST /vms/bulk`: the VM grid's toolbar without JavaScript. It runs the chosen action on every
//! checked VM (or the selected one), asking first for Power Off and Remove (whose confirmation
//! also asks whether the VMs' disks go too), and sends the browser back to the same grid view with
//! a summary.

use crate::web::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use uuid::Uuid;
use vireo_app::backend::LifecycleBackend;
use vireo_app::models::{CurrentUser, VmAction};

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The grid view the form came from (selected row and its sub-tab included), plus `extra`.
fn back(pairs: &[(String, String)], extra: &[(&str, String)]) -> String {
    let mut query: Vec<(String, String)> = ["q", "sort", "dir", "page", "size", "selected", "tab", "console"]
        .iter()
        .filter_map(|k| field(pairs, k).map(|v| (k.to_string(), v.to_string())))
        .collect();
    query.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    format!("/vms?{}", serde_urlencoded::to_string(&query).unwrap_or_default())
}

pub async fn bulk(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut ids: Vec<Uuid> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| Uuid::parse_str(v).ok())
        .collect();
    if ids.is_empty() {
        ids.extend(field(&pairs, "selected").and_then(|s| Uuid::parse_str(s).ok()));
    }
    let action = field(&pairs, "action").unwrap_or_default().to_string();
    if ids.is_empty() {
        return Redirect::to(&back(&pairs, &[("notice", "Select one or more VMs first.".into())])).into_response();
    }
    // The toolbar's Console button: the selected VM's Console sub-tab.
    if action == "console" {
        return match ids.as_slice() {
            [one] => {
                let mut view: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "selected").cloned().collect();
                view.push(("selected".into(), one.to_string()));
                Redirect::to(&back(&view, &[("tab", "console".into())])).into_response()
            }
            _ => Redirect::to(&back(
                &pairs,
                &[("notice", "Console works on one VM: select just one.".into())],
            ))
            .into_response(),
        };
    }
    if action == "edit" {
        return match ids.as_slice() {
            [one] => Redirect::to(&format!("/vms?dialog=edit&id={one}&selected={one}")).into_response(),
            _ => Redirect::to(&back(
                &pairs,
                &[("notice", "Edit works on one VM: select just one.".into())],
            ))
            .into_response(),
        };
    }
    let destructive = action == "power_off" || action == "remove";
    if destructive && field(&pairs, "confirmed") != Some("1") {
        let list = ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",");
        return Redirect::to(&back(&pairs, &[("confirm", action), ("ids", list)])).into_response();
    }
    let op = VmAction::parse(&action);
    if op.is_none() && action != "remove" {
        return Redirect::to(&back(&pairs, &[("notice", format!("Unknown action '{action}'."))])).into_response();
    }
    // The confirmation's "Remove disks" box (ticked by default; absent when unticked).
    let remove_disks = field(&pairs, "remove_disks") == Some("on");
    let mut done = 0;
    let mut failures = Vec::new();
    for id in &ids {
        let result = match op {
            Some(a) => state.service.vm_action(&user, *id, a).await,
            None => state.service.remove_vm(&user, *id, true, remove_disks).await,
        };
        match result {
            Ok(()) => done += 1,
            Err(e) => failures.push(e.to_string()),
        }
    }
    let label = op.map_or("Remove", |a| a.label());
    let mut notice = format!("{label}: {done} of {} done.", ids.len());
    if !failures.is_empty() {
        notice.push_str(&format!(" Failed: {}", failures.join(" ")));
    }
    // The selected VM stays in view unless it was just removed.
    let removed_selected =
        op.is_none() && field(&pairs, "selected").is_some_and(|s| ids.iter().any(|id| id.to_string() == s));
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !(removed_selected && k == "selected"))
        .cloned()
        .collect();
    Redirect::to(&back(&kept, &[("notice", notice)])).into_response()
}
