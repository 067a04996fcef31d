//! Instance types: create, edit, remove (from the REST API; the dialogs only choose them). VMs made
//! with a removed instance type keep their settings.

use crate::service::audit::{Object, Outcome};
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::domain::instance_type::{validate_instance_type, InstanceTypeSpec};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, InstanceTypeOption};

impl VireoService {
    async fn instance_type_event(
        &self,
        actor: &Actor,
        action: &str,
        id: Option<Uuid>,
        name: &str,
        result: Result<(), &AppError>,
    ) {
        let (success, message) = match result {
            Ok(()) => (
                true,
                format!("Instance type {name}: {}.", action.replace("instance_type.", "")),
            ),
            Err(e) => (
                false,
                format!(
                    "Instance type {name}: {} failed: {e}",
                    action.replace("instance_type.", "")
                ),
            ),
        };
        self.audit(
            actor.user(),
            action,
            Object::new("instance_type", id, name),
            Outcome::or_refused(success, message),
        )
        .await;
    }

    /// Creates (`id` None) or replaces an instance type.
    pub async fn save_instance_type(
        &self,
        user: &CurrentUser,
        id: Option<Uuid>,
        name: &str,
        description: &str,
        spec: &InstanceTypeSpec,
    ) -> Result<InstanceTypeOption, AppError> {
        let action = if id.is_some() {
            "instance_type.update"
        } else {
            "instance_type.create"
        };
        let actor = &self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                action,
                "instance_type",
                id,
                name,
            )
            .await?;
        let result = async {
            let errors = validate_instance_type(name, description, spec);
            if !errors.is_empty() {
                return Err(AppError::Validation { errors });
            }
            let id = match id {
                Some(id) => {
                    self.repo
                        .update_instance_type(actor, id, name, description, spec)
                        .await?;
                    id
                }
                None => self.repo.insert_instance_type(actor, name, description, spec).await?,
            };
            self.repo
                .instance_type(id)
                .await?
                .ok_or_else(|| AppError::not_found("Instance type"))
        }
        .await;
        self.instance_type_event(
            actor,
            action,
            result.as_ref().ok().map(|i| i.id).or(id),
            name,
            result.as_ref().map(|_| ()),
        )
        .await;
        result
    }

    pub async fn remove_instance_type(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let it = self
            .repo
            .instance_type(id)
            .await?
            .ok_or_else(|| AppError::not_found("Instance type"))?;
        let actor = &self
            .may_remove(user, Permission::ManageInfrastructure, "instance_type", id, &it.name)
            .await?;
        let result = self.repo.delete_instance_type(actor, id).await.map(|_| ());
        self.instance_type_event(
            actor,
            "instance_type.remove",
            Some(id),
            &it.name,
            result.as_ref().map(|_| ()),
        )
        .await;
        result
    }
}
