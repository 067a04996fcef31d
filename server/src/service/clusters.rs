//! New/Edit Cluster: name, compatibility version, CPU architecture, and the Optimization tab (KSM,
//! memory ballooning) — R4 can be met here for every VM of the cluster.

use crate::repository::ClusterFields;
use crate::service::audit::{Object, Outcome};
use crate::service::VireoService;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::ClusterBackend;
use vireo_app::domain::naming::name_error;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{ClusterDraft, ClusterView, CurrentUser};

const ARCHES: [&str; 3] = ["x86_64", "aarch64", "ppc64le"];

impl VireoService {
    async fn save_cluster_checked(&self, actor: &Actor, draft: &ClusterDraft) -> Result<ClusterView, AppError> {
        let mut errors: Vec<FieldError> = name_error("name", "cluster", &draft.name).into_iter().collect();
        let version = CompatVersion::parse(&draft.compat_version);
        if version.is_none() {
            errors.push(FieldError::new(
                "compat_version",
                "Choose a compatibility version from 4.1 to 4.8.",
            ));
        }
        if !ARCHES.contains(&draft.cpu_arch.as_str()) {
            errors.push(FieldError::new(
                "cpu_arch",
                format!("Choose one of: {}.", ARCHES.join(", ")),
            ));
        }
        if draft.description.chars().count() > 4000 {
            errors.push(FieldError::new(
                "description",
                "The description can be at most 4000 characters.",
            ));
        }
        let data_center = match self.cluster_data_center(draft.data_center_id).await {
            Ok(dc) => Some(dc),
            Err(AppError::Validation { errors: mut e }) => {
                errors.append(&mut e);
                None
            }
            Err(e) => return Err(e),
        };
        if let (Some(dc), Some(v)) = (&data_center, version) {
            if v < dc.compat_version {
                errors.push(FieldError::new(
                    "compat_version",
                    format!(
                        "Data center {} is at {}: its clusters may not be below it.",
                        dc.name, dc.compat_version
                    ),
                ));
            }
        }
        let (version, data_center) = match (errors.is_empty(), version, data_center) {
            (true, Some(v), Some(dc)) => (v, dc),
            _ => return Err(AppError::Validation { errors }),
        };
        let fields = ClusterFields {
            name: &draft.name,
            description: &draft.description,
            compat_version: version,
            cpu_arch: &draft.cpu_arch,
            data_center_id: data_center.id,
        };
        let id = match draft.id {
            None => self.repo.insert_cluster(actor, fields).await?,
            Some(id) => {
                let expected = draft
                    .version
                    .ok_or_else(|| AppError::validation("version", "The edit lacks its version."))?;
                self.repo.update_cluster(actor, id, expected, fields).await?;
                id
            }
        };
        self.repo
            .set_cluster_optimization(actor, id, draft.ksm_enabled, draft.ballooning_enabled)
            .await?;
        self.repo
            .cluster(id)
            .await?
            .ok_or_else(|| AppError::not_found("Cluster"))
    }
}

#[async_trait::async_trait]
impl ClusterBackend for VireoService {
    async fn list_clusters(&self) -> Result<Vec<ClusterView>, AppError> {
        self.repo.list_clusters().await
    }

    async fn save_cluster(&self, user: &CurrentUser, draft: ClusterDraft) -> Result<ClusterView, AppError> {
        let action = if draft.id.is_some() {
            "cluster.update"
        } else {
            "cluster.create"
        };
        let actor = self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                action,
                "cluster",
                draft.id,
                &draft.name,
            )
            .await?;
        let result = self.save_cluster_checked(&actor, &draft).await;
        let (success, message) = match &result {
            Ok(_) => (true, format!("Cluster {} saved.", draft.name)),
            Err(e) => (false, format!("Saving cluster {} failed: {e}", draft.name)),
        };
        self.audit(
            actor.user(),
            action,
            Object::new("cluster", result.as_ref().ok().map(|c| c.id).or(draft.id), &draft.name),
            Outcome::or_refused(success, message),
        )
        .await;
        result
    }

    async fn remove_cluster(&self, user: &CurrentUser, id: uuid::Uuid) -> Result<(), AppError> {
        // The inherent method in removal.rs (shared with the REST API) does the check and the audit.
        VireoService::remove_cluster(self, user, id).await
    }
}
