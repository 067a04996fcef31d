//! The New/Edit dialogs without JavaScript: their form posts here with every field, and the answer is
//! a redirect — to the saved object, or back to the dialog with the draft in the query and the error
//! or the recommendations review (the page renders both). The hydrated dialog calls the `save` and
//! `apply_host_action` server functions instead; both paths end in the same service.

use crate::web::state::AppState;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use vireo_app::backend::{ConfigBackend, HostBackend};
use vireo_app::domain::draft::{from_pairs, to_pairs, VmDraft};
use vireo_app::domain::recommendations::{recommendations_for, RecommendationId};
use vireo_app::domain::validation::validate;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, SaveOutcome};

/// `<page>?dialog=…&draft=1&<fields>&<extra>`
fn dialog_url(draft: &VmDraft, extra: &[(&str, String)]) -> String {
    let mut pairs = vec![(
        "dialog".to_string(),
        if draft.id.is_some() { "edit" } else { "new" }.to_string(),
    )];
    pairs.extend(to_pairs(draft));
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", draft.kind.page())
}

fn back_with_error(draft: &VmDraft, err: &AppError) -> Response {
    let json = serde_json::to_string(err).unwrap_or_default();
    Redirect::to(&dialog_url(draft, &[("err", json)])).into_response()
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A dialog's form post: every field, and the draft they make. Fields that do not read send the
/// dialog back with their errors (the rejection), as any other error does.
pub struct DialogPost {
    draft: VmDraft,
    pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequest<S> for DialogPost {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (draft, errors) = from_pairs(&pairs);
        if !errors.is_empty() {
            return Err(back_with_error(&draft, &AppError::Validation { errors }));
        }
        Ok(Self { draft, pairs })
    }
}

pub async fn save_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    DialogPost { draft, pairs }: DialogPost,
) -> Response {
    let anyway = field(&pairs, "save_anyway") == Some("1");
    match state.service.save(&user, draft.clone(), anyway).await {
        Ok(SaveOutcome::Saved { id, kind, .. }) => {
            Redirect::to(&format!("{}?selected={id}", kind.page())).into_response()
        }
        Ok(SaveOutcome::NeedsReview { .. }) => {
            Redirect::to(&dialog_url(&draft, &[("review", "1".into())])).into_response()
        }
        Err(e) => back_with_error(&draft, &e),
    }
}

pub async fn apply_fix_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    DialogPost { draft, pairs }: DialogPost,
) -> Response {
    // `fix=R1` applies a recommendation's fix, `fix_alt=R1` its alternative (R1: dedicated CPUs).
    let alternative = field(&pairs, "fix_alt").is_some();
    let Some(which) = field(&pairs, "fix")
        .or_else(|| field(&pairs, "fix_alt"))
        .and_then(RecommendationId::parse)
    else {
        return Redirect::to(&dialog_url(&draft, &[("review", "1".into())])).into_response();
    };
    let ctx = match state
        .service
        .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
        .await
    {
        Ok(c) => c,
        Err(e) => return back_with_error(&draft, &e),
    };
    // Fixes are computed only for a configuration that passes validation (pentest row 8: a posted
    // form with 0 threads or a 0 KiB page size panicked in the fix computation); otherwise the
    // dialog shows the errors.
    let valid = match validate(&draft.config, &ctx) {
        Ok(valid) => valid,
        Err(errors) => return back_with_error(&draft, &AppError::Validation { errors }),
    };
    let fix = recommendations_for(valid)
        .into_iter()
        .find(|r| r.id == which)
        .and_then(|r| if alternative { r.alternative } else { r.fix });
    let mut draft = draft;
    let Some(fix) = fix else {
        return Redirect::to(&dialog_url(&draft, &[("review", "1".into())])).into_response();
    };
    if let Some(action) = fix.host_action {
        if let Err(e) = state.service.apply_host_action(&user, action).await {
            return back_with_error(&draft, &e);
        }
    }
    fix.patch.apply(&mut draft.config);
    Redirect::to(&dialog_url(&draft, &[("review", "1".into())])).into_response()
}
