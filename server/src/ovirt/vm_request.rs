//! Reading a `<vm>`, `<template>` or a pool's `<vm>` request and applying it to a draft the way
//! the New/Edit dialog would, then saving it as the dialog's "Save anyway" does. Shared by `/vms`,
//! `/templates` and `/vmpools`.

use super::collection::ApiObject;
use super::fault::Fault;
use super::read::Obj;
use super::refs;
use super::vm_base::{BasePatch, BASE_ELEMENTS, IGNORED_ELEMENTS};
use crate::repository::ConfigRecord;
use crate::service::config_save::SaveOptions;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::cpu_policy::is_start_time;
use vireo_app::domain::dialog::refresh;
use vireo_app::domain::draft::VmDraft;
use vireo_app::domain::recommendations::{apply_fixes, RecommendationId};
use vireo_app::domain::vm_config::CpuPinningPolicy;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, SaveOutcome};

/// The parts of a `<vm>` (or `<template>`, or a pool's `<vm>`) request, references resolved.
pub struct VmRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub cluster: Option<Uuid>,
    pub template: Option<Uuid>,
    pub instance_type: Option<Uuid>,
    pub hosts: Option<Vec<Uuid>>,
    pub base: BasePatch,
}

/// Reads identity elements (`identity`, of name/description/cluster/template/instance_type) and
/// `VmBase`; `ignored` are further read-only elements of the object type.
pub async fn read_request(
    state: &AppState,
    obj: &Obj<'_>,
    identity: &[&str],
    ignored: &[&str],
) -> Result<VmRequest, Fault> {
    let known: Vec<&str> = [identity, BASE_ELEMENTS, IGNORED_ELEMENTS, ignored].concat();
    obj.allow(&known)?;
    VmRequest::read(state, obj, BasePatch::read(obj)?).await
}

impl VmRequest {
    /// `obj`'s name, description and references (resolved), with `base` as its configuration.
    pub async fn read(state: &AppState, obj: &Obj<'_>, base: BasePatch) -> Result<Self, Fault> {
        let refs = refs::object_refs(state, obj, &base).await?;
        Ok(Self {
            name: obj.text("name")?,
            description: obj.text("description")?,
            cluster: refs.cluster,
            template: refs.template,
            instance_type: refs.instance_type,
            hosts: refs.hosts,
            base,
        })
    }
}

/// Applies a request to a draft the way the dialog would: identity, then the chosen profile (its
/// gates can refuse it), then every explicit setting over the profile's defaults, then — when asked
/// with `auto_pinning_policy` — Vireo's computed pinning, now (its R1–R3 fixes: manual pins).
/// `cpu_pinning_policy` dedicated / isolate_threads / resize_and_pin_numa is stored as sent: the
/// pins are chosen at each start.
pub async fn apply_request(
    state: &AppState,
    draft: &mut VmDraft,
    req: VmRequest,
    computed_pinning: bool,
) -> Result<(), Fault> {
    if let Some(n) = req.name {
        draft.name = n;
    }
    if let Some(d) = req.description {
        draft.description = d;
    }
    if let Some(c) = req.cluster {
        draft.cluster_id = Some(c);
    }
    if let Some(i) = req.instance_type {
        draft.instance_type_id = Some(i);
    }
    if let Some(os) = &req.base.os_type {
        draft.config.os_type = os.clone();
    }
    let ctx = state
        .service
        .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
        .await?;
    if let Some(t) = req.base.optimized_for {
        draft.config.optimized_for = t;
        let r = refresh(draft, &ctx, None);
        if let Some(blocked) = r.blocked {
            return Err(AppError::Validation { errors: vec![blocked] }.into());
        }
        *draft = r.draft;
    }
    req.base.apply(&mut draft.config, req.hosts);
    draft.applied_profile = draft.config.optimized_for;
    if computed_pinning {
        // Pinning now replaces the profile's start-time default (not a policy the request chose).
        if is_start_time(draft.config.cpu_pinning_policy) && !req.base.sets_pinning_policy() {
            draft.config.cpu_pinning_policy = CpuPinningPolicy::None;
        }
        let ctx = state
            .service
            .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
            .await?;
        draft.config = apply_fixes(
            &draft.config,
            &ctx,
            &[RecommendationId::R1, RecommendationId::R2, RecommendationId::R3],
        );
    }
    Ok(())
}

/// Saves a VM, Template or Pool draft as the dialog's "Save anyway" does (the API has no review
/// step; unmet recommendations are for the UI); returns its id.
pub async fn save_draft(
    state: &AppState,
    user: &CurrentUser,
    draft: VmDraft,
    defer_to_next_run: bool,
) -> Result<Uuid, Fault> {
    let options = SaveOptions {
        save_anyway: true,
        defer_to_next_run,
    };
    match state.service.save_with(user, draft, options).await? {
        SaveOutcome::Saved { id, .. } => Ok(id),
        // save_anyway never stops for review.
        SaveOutcome::NeedsReview { .. } => Err(AppError::Internal.into()),
    }
}

/// Saves a template or pool draft as `save_draft` does and reads it back as stored.
pub async fn save_config<K: ApiObject<Object = ConfigRecord>>(
    state: &AppState,
    user: &CurrentUser,
    draft: VmDraft,
) -> Result<ConfigRecord, Fault> {
    let id = save_draft(state, user, draft, false).await?;
    K::existing(state, id).await
}
