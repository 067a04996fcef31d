//! `VireoService`: the `Backend` behind the server functions and the REST API. It validates, talks to
//! libvirt through the `Hypervisor`, persists through the `Repository` and writes an audit event for
//! every write, successful or not.

pub mod bootstrap;
pub mod clusters;
pub mod configs;
pub mod host_monitor;
pub mod hosts;
pub mod instance_types;
pub mod lifecycle;
pub mod operations;
pub mod passwords;
pub mod reconcile;
pub mod removal;
pub mod seed;
pub mod users;

use crate::hypervisor::topology_files;
use crate::hypervisor::{Hypervisor, HypervisorError};
use crate::repository::{NewEvent, NewHost, Repository};
use std::sync::Arc;
use uuid::Uuid;
use vireo_app::authz::{self, Actor, Permission};
use vireo_app::backend::Backend;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::host_address::ValidHostAddress;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::domain::naming::name_error;
use vireo_app::domain::recommendations::HostAction;
use vireo_app::domain::rule_context::RuleContext;
use vireo_app::domain::search::{self, parse_search};
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{
    AddHostRequest, ClusterDraft, ClusterView, CurrentUser, DialogOptions, DraftEnvelope, EventView, GridPage,
    GridQuery, HostStatus, HostView, PoolRow, Preview, SaveOutcome, TemplateView, TopologyFile, VmAction, VmDetails,
    VmRow,
};
use vireo_app::models::{NewPassword, NewUserRequest, UserView};

/// One page with everything (the simple lists scripts and tests use), by name.
fn everything() -> GridQuery {
    GridQuery {
        page_size: 10_000,
        ..GridQuery::new("name")
    }
}

fn validation(e: FieldError) -> AppError {
    AppError::Validation { errors: vec![e] }
}

pub struct VireoService {
    pub repo: Repository,
    pub hypervisor: Arc<dyn Hypervisor>,
    pub ops: crate::service::operations::Operations,
    /// The login throttle: also guards checking a current password (`user_service.rs`).
    pub throttle: Arc<crate::web::login_throttle::LoginThrottle>,
}

impl VireoService {
    pub fn new(repo: Repository, hypervisor: Arc<dyn Hypervisor>, shutdown_timeout: std::time::Duration) -> Self {
        Self {
            repo,
            hypervisor,
            ops: crate::service::operations::Operations::new(shutdown_timeout),
            throttle: Arc::new(crate::web::login_throttle::LoginThrottle::default()),
        }
    }

    /// The role check every write of the service starts with (`vireo_app::authz`): whatever the entry
    /// point — server function, form post, REST, command line — the same check, and a refusal is
    /// audited like any other failed write.
    pub async fn authorize(
        &self,
        user: &CurrentUser,
        permission: Permission,
        action: &str,
        object_kind: &str,
        object_id: Option<Uuid>,
        object_name: &str,
    ) -> Result<Actor, AppError> {
        match authz::authorize(user, permission) {
            Ok(actor) => Ok(actor),
            Err(e) => {
                self.repo
                    .record_event(NewEvent {
                        user: Some(user),
                        username: None,
                        severity: "warning",
                        action,
                        object_kind,
                        object_id,
                        object_name: Some(object_name),
                        success: false,
                        message: format!(
                            "{} ({}) may not do {action}: refused.",
                            user.username,
                            user.role.as_str()
                        ),
                    })
                    .await;
                Err(e)
            }
        }
    }

    /// Reads a host's topology: from libvirt for real hosts, from the shipped file for test-driver
    /// hosts (after checking the test driver itself answers).
    pub async fn read_topology(&self, uri: &str, simulated: Option<&str>) -> Result<HostTopology, HypervisorError> {
        let probe = self.hypervisor.probe(uri).await?;
        match simulated {
            Some(id) => match topology_files::load(id) {
                Some(Ok(t)) => Ok(t),
                Some(Err(e)) => Err(HypervisorError::Capabilities(e.to_string())),
                None => Err(HypervisorError::Capabilities(format!("no shipped topology '{id}'"))),
            },
            None => Ok(probe.topology),
        }
    }

    /// Validates everything about a new host before Vireo connects anywhere: the name, the address
    /// fields (`host_address`: the only way a URI is made from user input), the cluster, and that
    /// neither name nor (for real hosts) URI is taken. Simulated hosts share the test driver's URI.
    async fn validate_new_host(&self, req: &AddHostRequest) -> Result<ValidHostAddress, AppError> {
        let mut errors: Vec<FieldError> = name_error("name", "host", &req.name).into_iter().collect();
        let valid = req
            .address_fields()
            .validate(&topology_files::ids())
            .map_err(|e| errors.extend(e))
            .ok();
        if self.repo.cluster(req.cluster_id).await?.is_none() {
            errors.push(FieldError::new("cluster_id", "That cluster does not exist."));
        }
        if let (true, Some(valid)) = (errors.is_empty(), &valid) {
            let uri = valid.address.uri();
            let unique_uri = (!valid.address.is_simulated()).then_some(uri.as_str());
            match self.repo.host_name_or_uri_taken(&req.name, unique_uri).await? {
                Some("name") => errors.push(FieldError::new(
                    "name",
                    format!("A host named '{}' already exists.", req.name),
                )),
                Some(_) => errors.push(FieldError::new("address", format!("Host {uri} is already added."))),
                None => {}
            }
        }
        match valid {
            Some(valid) if errors.is_empty() => Ok(valid),
            _ => Err(AppError::Validation { errors }),
        }
    }
}

#[async_trait::async_trait]
impl Backend for VireoService {
    async fn list_hosts(&self) -> Result<Vec<HostView>, AppError> {
        self.repo.list_hosts().await
    }

    async fn add_host(&self, user: &CurrentUser, req: AddHostRequest) -> Result<HostView, AppError> {
        let actor = self
            .authorize(
                user,
                Permission::ManageInfrastructure,
                "host.add",
                "host",
                None,
                &req.name,
            )
            .await?;
        let event = |success: bool, message: String| NewEvent {
            user: actor.user(),
            username: None,
            severity: if success { "info" } else { "error" },
            action: "host.add",
            object_kind: "host",
            object_id: None,
            object_name: Some(&req.name),
            success,
            message,
        };
        let valid = match self.validate_new_host(&req).await {
            Ok(v) => v,
            Err(e) => {
                // The messages are Vireo's own (they never quote the refused input beyond the name).
                self.repo
                    .record_event(event(false, format!("Adding host refused: {e}")))
                    .await;
                return Err(e);
            }
        };
        let uri = valid.address.uri();
        let simulated = valid.simulated_topology;
        let topology = match self.read_topology(&uri, simulated.as_deref()).await {
            Ok(t) => t,
            Err(e) => {
                // `e` is a fixed text per failure kind for connection failures (`HypervisorError::
                // Connect`); the URI is the one Vireo built from validated parts.
                let message = format!("Could not connect to {uri}: {e}");
                self.repo.record_event(event(false, message.clone())).await;
                return Err(AppError::host(message));
            }
        };
        let id = self
            .repo
            .insert_host(
                &actor,
                NewHost {
                    name: &req.name,
                    cluster_id: req.cluster_id,
                    uri: &uri,
                    status: HostStatus::Up,
                    simulated_topology: simulated.as_deref(),
                    topology: &topology,
                    ksm_running: None,
                    last_error: None,
                },
            )
            .await?;
        self.repo
            .record_event(NewEvent {
                object_id: Some(id),
                ..event(true, format!("Host {} added ({uri}).", req.name))
            })
            .await;
        self.repo.host(id).await?.ok_or_else(|| AppError::not_found("Host"))
    }

    fn topology_files(&self) -> Vec<TopologyFile> {
        topology_files::list()
    }

    async fn list_clusters(&self) -> Result<Vec<ClusterView>, AppError> {
        self.repo.list_clusters().await
    }

    async fn list_templates(&self) -> Result<Vec<TemplateView>, AppError> {
        Ok(self.repo.template_grid(&everything(), &Default::default()).await?.rows)
    }

    async fn list_events(&self, limit: i64) -> Result<Vec<EventView>, AppError> {
        self.repo.list_events(limit).await
    }

    async fn set_host_ksm(&self, actor: &CurrentUser, host_id: Uuid, running: bool) -> Result<HostView, AppError> {
        self.set_host_ksm_impl(actor, host_id, running).await
    }

    async fn apply_host_action(&self, actor: &CurrentUser, action: HostAction) -> Result<HostView, AppError> {
        self.apply_host_action_impl(actor, action).await
    }

    async fn save_cluster(&self, actor: &CurrentUser, draft: ClusterDraft) -> Result<ClusterView, AppError> {
        self.save_cluster_impl(actor, draft).await
    }

    async fn list_vms(&self) -> Result<Vec<VmRow>, AppError> {
        Ok(self.repo.vm_grid(&everything(), &Default::default()).await?.rows)
    }

    async fn list_pools(&self) -> Result<Vec<PoolRow>, AppError> {
        Ok(self.repo.pool_grid(&everything(), &Default::default()).await?.rows)
    }

    async fn dialog_options(&self) -> Result<DialogOptions, AppError> {
        self.dialog_options_impl().await
    }

    async fn rule_context(
        &self,
        cluster_id: Option<Uuid>,
        os_type: &str,
        exclude: Option<Uuid>,
    ) -> Result<RuleContext, AppError> {
        self.rule_context_impl(cluster_id, os_type, exclude).await
    }

    async fn new_draft(&self, kind: ConfigKind, template_id: Option<Uuid>) -> Result<VmDraft, AppError> {
        self.new_draft_impl(kind, template_id).await
    }

    async fn load_draft(&self, kind: ConfigKind, id: Uuid) -> Result<DraftEnvelope, AppError> {
        self.load_draft_impl(kind, id).await
    }

    async fn preview(&self, draft: &VmDraft) -> Result<Preview, AppError> {
        self.preview_impl(draft).await
    }

    async fn save(&self, actor: &CurrentUser, draft: VmDraft, save_anyway: bool) -> Result<SaveOutcome, AppError> {
        self.save_impl(actor, draft, save_anyway).await
    }

    async fn vm_action(&self, actor: &CurrentUser, id: Uuid, action: VmAction) -> Result<(), AppError> {
        self.vm_action_impl(actor, id, action).await
    }

    async fn remove_vm(&self, actor: &CurrentUser, id: Uuid, force: bool) -> Result<(), AppError> {
        self.remove_vm_impl(actor, id, force).await
    }

    async fn domain_xml(&self, id: Uuid) -> Result<String, AppError> {
        self.domain_xml_impl(id).await
    }

    async fn vm_grid(&self, q: &GridQuery) -> Result<GridPage<VmRow>, AppError> {
        let search = parse_search(&q.search, search::VM_FIELDS).map_err(validation)?;
        self.repo.vm_grid(q, &search).await
    }

    async fn template_grid(&self, q: &GridQuery) -> Result<GridPage<TemplateView>, AppError> {
        let search = parse_search(&q.search, search::TEMPLATE_FIELDS).map_err(validation)?;
        self.repo.template_grid(q, &search).await
    }

    async fn pool_grid(&self, q: &GridQuery) -> Result<GridPage<PoolRow>, AppError> {
        let search = parse_search(&q.search, search::POOL_FIELDS).map_err(validation)?;
        self.repo.pool_grid(q, &search).await
    }

    async fn host_grid(&self, q: &GridQuery) -> Result<GridPage<HostView>, AppError> {
        let search = parse_search(&q.search, search::HOST_FIELDS).map_err(validation)?;
        self.repo.host_grid(q, &search).await
    }

    async fn cluster_grid(&self, q: &GridQuery) -> Result<GridPage<ClusterView>, AppError> {
        let search = parse_search(&q.search, search::CLUSTER_FIELDS).map_err(validation)?;
        self.repo.cluster_grid(q, &search).await
    }

    async fn event_grid(&self, q: &GridQuery, object: Option<Uuid>) -> Result<GridPage<EventView>, AppError> {
        let search = parse_search(&q.search, search::EVENT_FIELDS).map_err(validation)?;
        self.repo.event_grid(q, &search, object).await
    }

    async fn vm_details(&self, id: Uuid) -> Result<VmDetails, AppError> {
        self.vm_details_impl(id).await
    }

    // --- users (user_service.rs)
    async fn user_grid(&self, user: &CurrentUser, q: &GridQuery) -> Result<GridPage<UserView>, AppError> {
        self.user_grid_impl(user, q).await
    }

    async fn add_user(&self, user: &CurrentUser, request: NewUserRequest) -> Result<UserView, AppError> {
        self.add_user_impl(user, request).await
    }

    async fn set_user_role(&self, user: &CurrentUser, id: Uuid, role: String) -> Result<UserView, AppError> {
        self.set_user_role_impl(user, id, role).await
    }

    async fn set_user_disabled(&self, user: &CurrentUser, id: Uuid, disabled: bool) -> Result<UserView, AppError> {
        self.set_user_disabled_impl(user, id, disabled).await
    }

    async fn reset_user_password(
        &self,
        user: &CurrentUser,
        id: Uuid,
        password: NewPassword,
    ) -> Result<UserView, AppError> {
        self.reset_user_password_impl(user, id, password).await
    }

    async fn change_own_password(
        &self,
        user: &CurrentUser,
        current: String,
        password: NewPassword,
    ) -> Result<i32, AppError> {
        self.change_own_password_impl(user, current, password).await
    }
}
