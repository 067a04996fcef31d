//! What preview and save both check before the rules run: the draft settled against its instance
//! type and profile, and the objects it refers to.

use crate::service::VireoService;
use vireo_app::domain::dialog::refresh;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::numa::follow_resize;
use vireo_app::domain::rule_context::RuleContext;
use vireo_app::error::{AppError, FieldError};

impl VireoService {
    /// Applies the instance type (the server's copy is authoritative) and any newly chosen profile,
    /// then brings the vNUMA nodes along with the VM's size (`numa::follow_resize`).
    pub(super) async fn settle(
        &self,
        draft: &VmDraft,
        ctx: &RuleContext,
    ) -> Result<(VmDraft, Option<FieldError>), AppError> {
        let instance = match draft.instance_type_id {
            Some(id) if draft.kind == ConfigKind::Vm => Some(
                self.repo
                    .instance_type(id)
                    .await?
                    .ok_or_else(|| AppError::validation("instance_type_id", "That instance type does not exist."))?,
            ),
            _ => None,
        };
        let mut r = refresh(draft, ctx, instance.as_ref().map(|i| (i.name.as_str(), &i.spec)));
        // vNUMA nodes follow a memory or vCPU change made by any caller (a plain form post, the
        // REST API, the instance type just applied) against the configuration the edit started
        // from: the object's own (a running VM's pending one when there is one), or for a new
        // object its template's. A refusal leaves the nodes as they were, for validation to report.
        let started_from = match (r.draft.id, r.draft.template_id) {
            (Some(id), _) => self.repo.config_record(r.draft.kind, id).await?,
            (None, Some(template)) => self.repo.config_record(ConfigKind::Template, template).await?,
            (None, None) => None,
        };
        if let Some(rec) = started_from {
            let before = rec.next_run.as_ref().unwrap_or(&rec.config);
            follow_resize(before, &mut r.draft.config);
        }
        Ok((r.draft, r.blocked))
    }

    /// Checks the objects a draft refers to exist and fit together.
    pub(super) async fn reference_errors(&self, draft: &VmDraft) -> Result<Vec<FieldError>, AppError> {
        let mut errors = Vec::new();
        if self.repo.os_family(&draft.config.os_type).await?.is_none() {
            errors.push(FieldError::new("os_type", "Choose an operating system from the list."));
        }
        if let Some(tid) = draft.template_id {
            if self.repo.config_record(ConfigKind::Template, tid).await?.is_none() {
                errors.push(FieldError::new("template_id", "That template does not exist."));
            }
        } else if draft.kind == ConfigKind::Vm {
            errors.push(FieldError::new("template_id", "Choose a template (Blank for none)."));
        }
        errors.extend(self.disk_reference_errors(draft).await?);
        errors.extend(self.nic_reference_errors(draft).await?);
        Ok(errors)
    }
}
