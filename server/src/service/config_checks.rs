//! What preview and save both check before the rules run: the draft settled against its instance
//! type and profile, and the objects it refers to.

use crate::service::VireoService;
use vireo_app::domain::dialog::refresh;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::rule_context::RuleContext;
use vireo_app::error::{AppError, FieldError};

impl VireoService {
    /// Applies the instance type (the server's copy is authoritative) and any newly chosen profile.
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
        let r = refresh(draft, ctx, instance.as_ref().map(|i| (i.name.as_str(), &i.spec)));
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
