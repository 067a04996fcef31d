//! What the hydrated dialog does in the browser: apply profiles and instance types with the same
//! pure rules the server uses, reload the rule context when the cluster or OS changes, and talk to
//! the `preview` / `save` server functions.

use super::state::DialogState;
use crate::api::configs::{apply_host_action, get_rule_context, new_draft, preview_draft, save_draft};
use crate::domain::dialog::refresh;
use crate::domain::draft::{add_new_disk, name_new_disks, ConfigKind};
use crate::domain::fields::tab_of;
use crate::domain::numa::{follow_resize, respread_change, Resize};
use crate::domain::profile::Change;
use crate::domain::recommendations::Recommendation;
use crate::error::AppError;
use crate::models::SaveOutcome;
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

/// Applies a newly chosen profile and the instance type, listing what changed.
pub fn refresh_now(s: DialogState) {
    let Some(ctx) = s.ctx.get_untracked() else {
        return;
    };
    let draft = s.draft.get_untracked();
    let instance = draft.instance_type_id.and_then(|id| {
        s.options
            .with_untracked(|o| o.instance_types.iter().find(|i| i.id == id).cloned())
    });
    let r = refresh(&draft, &ctx, instance.as_ref().map(|i| (i.name.as_str(), &i.spec)));
    s.draft.set(r.draft);
    if !r.changes.is_empty() {
        s.changes.set(r.changes);
    }
    match r.blocked {
        Some(e) => s.set_error("optimized_for", e.message),
        None => s.clear_error("optimized_for"),
    }
}

/// vNUMA nodes follow the VM's memory and vCPU count as they change in the dialog (typed, or set
/// by an instance type): spread again (listed among the changes), or the reason they cannot be on
/// the NUMA fields — what the save would do (`numa::follow_resize`), shown before OK.
pub fn follow_numa_resizes(s: DialogState) {
    let last = StoredValue::new(s.draft.with_untracked(|d| d.config.clone()));
    Effect::new(move |_| {
        let mut config = s.draft.with(|d| d.config.clone());
        let before = last.get_value();
        match follow_resize(&before, &mut config) {
            Resize::Unchanged => {}
            Resize::Respread => {
                let nodes = config.numa_nodes.clone();
                s.draft.update(|d| d.config.numa_nodes = nodes.clone());
                s.clear_error("numa_nodes");
                s.changes.update(|changes| {
                    // Typing 8192 passes through 8, 81 and 819: the entry keeps the nodes as they
                    // were before the first of those.
                    let was = changes
                        .iter()
                        .position(|c| c.field == "numa_nodes")
                        .map(|i| changes.remove(i).old);
                    let mut change = respread_change(&before.numa_nodes, &nodes);
                    if let Some(was) = was {
                        change.old = was;
                    }
                    changes.push(change);
                });
            }
            Resize::Refused(e) => s.set_error("numa_nodes", e.message),
        }
        last.set_value(config);
    });
}

/// Fetches the rule context for the draft's cluster and OS (gates, hosts, invtsc).
pub fn reload_context(s: DialogState) {
    let (cluster, os, id) = s
        .draft
        .with_untracked(|d| (d.cluster_id, d.config.os_type.clone(), d.id));
    spawn_local(async move {
        match get_rule_context(cluster.map(|c| c.to_string()), os, id.map(|i| i.to_string())).await {
            Ok(ctx) => s.ctx.set(Some(ctx)),
            Err(e) => s.notice.set(Some(e)),
        }
    });
}

/// A new object takes everything from the chosen template (its name and description stay).
pub fn choose_template(s: DialogState, kind: ConfigKind, template_id: Uuid) {
    if s.draft.with_untracked(|d| d.id.is_some()) {
        return;
    }
    spawn_local(async move {
        match new_draft(kind.as_str().to_string(), Some(template_id.to_string())).await {
            Ok(fresh) => {
                let name = s
                    .options
                    .with_untracked(|o| o.templates.iter().find(|t| t.id == template_id).map(|t| t.name.clone()));
                s.draft.update(|d| {
                    d.template_id = fresh.template_id;
                    d.applied_template = fresh.applied_template;
                    d.cluster_id = fresh.cluster_id.or(d.cluster_id);
                    d.applied_profile = fresh.applied_profile;
                    // The boot disk stays for a template without disks; one with disks gives its own.
                    let new_disks = std::mem::take(&mut d.new_disks);
                    d.config = fresh.config;
                    if d.config.disks.is_empty() {
                        for disk in new_disks {
                            add_new_disk(d, disk);
                        }
                    }
                });
                s.changes.set(vec![Change::new(
                    "template_id",
                    String::new(),
                    name.unwrap_or_default(),
                    format!(
                        "Inherited Optimized for ({}) and every setting from the template",
                        fresh.applied_profile.label()
                    ),
                )]);
                reload_context(s);
                refresh_now(s);
            }
            Err(e) => s.notice.set(Some(e)),
        }
    });
}

fn show_errors(s: DialogState, errors: Vec<crate::error::FieldError>) {
    if let Some(first) = errors.first() {
        // Jump to the first tab with a problem unless the current one has one.
        let current = s.tab.get_untracked();
        if !errors.iter().any(|e| tab_of(&e.field) == current) {
            s.tab.set(tab_of(&first.field));
        }
    }
    s.errors.set(errors);
}

fn handle_error(s: DialogState, e: AppError) {
    match e {
        AppError::Validation { errors } => show_errors(s, errors),
        other => s.notice.set(Some(other)),
    }
}

/// OK: preview first; field errors mark their tabs, unmet recommendations open the review, and a
/// clean draft is saved.
pub fn ok(s: DialogState, done: Callback<Uuid>) {
    if s.busy.get_untracked() {
        return;
    }
    s.busy.set(true);
    s.notice.set(None);
    s.draft.update(name_new_disks);
    spawn_local(async move {
        match preview_draft(s.draft.get_untracked()).await {
            Ok(p) if !p.errors.is_empty() => show_errors(s, p.errors),
            Ok(p) if !p.recommendations.is_empty() => {
                s.errors.set(Vec::new());
                s.review.set(Some(p.recommendations));
            }
            Ok(_) => save(s, false, done).await,
            Err(e) => handle_error(s, e),
        }
        s.busy.set(false);
    });
}

pub async fn save(s: DialogState, anyway: bool, done: Callback<Uuid>) {
    s.draft.update(name_new_disks);
    match save_draft(s.draft.get_untracked(), anyway).await {
        Ok(SaveOutcome::Saved { id, .. }) => {
            s.review.set(None);
            done.run(id);
        }
        Ok(SaveOutcome::NeedsReview { recommendations }) => s.review.set(Some(recommendations)),
        Err(e) => {
            s.review.set(None);
            handle_error(s, e);
        }
    }
}

pub fn save_anyway(s: DialogState, done: Callback<Uuid>) {
    s.busy.set(true);
    spawn_local(async move {
        save(s, true, done).await;
        s.busy.set(false);
    });
}

/// Applies one recommendation's fix: its host action first (allocating pages), then its fields,
/// then asks the rules again so the review shows what is left.
pub fn apply_fix(s: DialogState, rec: Recommendation) {
    let Some(fix) = rec.fix else { return };
    apply_one_fix(s, fix);
}

/// Applies a recommendation's alternative fix (R1: dedicated CPUs at each start).
pub fn apply_alternative(s: DialogState, rec: Recommendation) {
    let Some(fix) = rec.alternative else { return };
    apply_one_fix(s, fix);
}

fn apply_one_fix(s: DialogState, fix: crate::domain::recommendations::Fix) {
    s.busy.set(true);
    spawn_local(async move {
        if let Some(action) = fix.host_action.clone() {
            if let Err(e) = apply_host_action(action).await {
                s.notice.set(Some(e));
                s.busy.set(false);
                return;
            }
            reload_context(s);
        }
        s.draft.update(|d| fix.patch.apply(&mut d.config));
        s.changes.update(|c| c.extend(fix.changes.clone()));
        match preview_draft(s.draft.get_untracked()).await {
            Ok(p) => {
                s.errors.set(p.errors);
                s.review.set(Some(p.recommendations));
            }
            Err(e) => handle_error(s, e),
        }
        s.busy.set(false);
    });
}

/// A button that saves the draft: with JavaScript off it posts the whole form (and its own
/// `name=value`, when it has one) to `/dialog/save`; hydrated it runs `save` instead. Disabled
/// while the dialog is busy.
#[component]
pub fn SaveButton(
    class: &'static str,
    #[prop(optional)] name: Option<&'static str>,
    #[prop(optional)] value: Option<&'static str>,
    save: fn(DialogState, Callback<Uuid>),
    done: Callback<Uuid>,
    children: Children,
) -> impl IntoView {
    let s = expect_context::<DialogState>();
    view! {
        <button
            type="submit"
            class=class
            formmethod="post"
            formaction="/dialog/save"
            name=name
            value=value
            disabled=move || s.busy.get()
            on:click=move |ev: MouseEvent| {
                ev.prevent_default();
                save(s, done);
            }
        >
            {children()}
        </button>
    }
}
