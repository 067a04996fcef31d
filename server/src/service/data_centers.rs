//! Data centers: oVirt's top level (data center → clusters → hosts). Name, description and a
//! compatibility version that no cluster of it may be below (the engine's rule: clusters are
//! upgraded first, then their data center). One with clusters is not removed.

use crate::service::audit::{Object, Outcome};
use crate::service::grids::grid_search;
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::DataCenterBackend;
use vireo_app::domain::collections;
use vireo_app::domain::naming::name_error;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{CurrentUser, DataCenterDraft, DataCenterView, GridPage, GridQuery};

/// The longest description kept (as clusters').
const DESCRIPTION_MAX: usize = 4000;

impl VireoService {
    async fn save_data_center_checked(
        &self,
        actor: &Actor,
        draft: &DataCenterDraft,
    ) -> Result<DataCenterView, AppError> {
        let mut errors: Vec<FieldError> = name_error("name", "data center", &draft.name).into_iter().collect();
        let version = CompatVersion::parse(&draft.compat_version);
        if version.is_none() {
            errors.push(FieldError::new(
                "compat_version",
                "Choose a compatibility version from 4.1 to 4.8.",
            ));
        }
        if draft.description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("The description can be at most {DESCRIPTION_MAX} characters."),
            ));
        }
        if let (Some(id), Some(v)) = (draft.id, version) {
            if let Some(lowest) = self.repo.data_center_cluster_version_min(id).await? {
                if v > lowest {
                    errors.push(FieldError::new(
                        "compat_version",
                        format!(
                            "A cluster of this data center is at {lowest}: raise its clusters' versions first, \
                             then the data center's (it may not be above any of its clusters')."
                        ),
                    ));
                }
            }
        }
        let version = match (errors.is_empty(), version) {
            (true, Some(v)) => v,
            _ => return Err(AppError::Validation { errors }),
        };
        let id = match draft.id {
            None => {
                self.repo
                    .insert_data_center(actor, &draft.name, &draft.description, version)
                    .await?
            }
            Some(id) => {
                let expected = draft
                    .version
                    .ok_or_else(|| AppError::validation("version", "The edit lacks its version."))?;
                self.repo
                    .update_data_center(actor, id, expected, &draft.name, &draft.description, version)
                    .await?;
                id
            }
        };
        self.repo
            .data_center(id)
            .await?
            .ok_or_else(|| AppError::not_found("Data center"))
    }

    /// The data center a cluster draft names; with none named, the only one there is or the one
    /// called "Default" (REST clients that name none get what the engine's single-DC setups have).
    pub(crate) async fn cluster_data_center(&self, wanted: Option<Uuid>) -> Result<DataCenterView, AppError> {
        let all = self.repo.list_data_centers().await?;
        let found = match wanted {
            Some(id) => all.into_iter().find(|d| d.id == id),
            None if all.len() == 1 => all.into_iter().next(),
            None => all
                .into_iter()
                .find(|d| d.name == crate::repository::DEFAULT_DATA_CENTER),
        };
        found.ok_or_else(|| AppError::validation("data_center", "Choose the data center the cluster belongs to."))
    }
}

#[async_trait::async_trait]
impl DataCenterBackend for VireoService {
    async fn list_data_centers(&self) -> Result<Vec<DataCenterView>, AppError> {
        self.repo.list_data_centers().await
    }

    async fn data_center(&self, id: Uuid) -> Result<DataCenterView, AppError> {
        self.repo
            .data_center(id)
            .await?
            .ok_or_else(|| AppError::not_found("Data center"))
    }

    async fn save_data_center(&self, user: &CurrentUser, draft: DataCenterDraft) -> Result<DataCenterView, AppError> {
        let action = if draft.id.is_some() {
            "data_center.update"
        } else {
            "data_center.create"
        };
        let actor = self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                action,
                "data_center",
                draft.id,
                &draft.name,
            )
            .await?;
        let result = self.save_data_center_checked(&actor, &draft).await;
        let (success, message) = match &result {
            Ok(_) => (true, format!("Data center {} saved.", draft.name)),
            Err(e) => (false, format!("Saving data center {} failed: {e}", draft.name)),
        };
        self.audit(
            actor.user(),
            action,
            Object::new(
                "data_center",
                result.as_ref().ok().map(|d| d.id).or(draft.id),
                &draft.name,
            ),
            Outcome::or_refused(success, message),
        )
        .await;
        result
    }

    async fn remove_data_center(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        self.remove_data_center_unused(user, id).await
    }

    async fn data_center_grid(&self, q: &GridQuery) -> Result<GridPage<DataCenterView>, AppError> {
        self.repo
            .data_center_grid(q, &grid_search(q, &collections::DATA_CENTERS)?)
            .await
    }
}
