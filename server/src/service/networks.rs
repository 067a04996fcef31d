//! Networks, vNIC profiles and NICs: `NetworkBackend`. (Scaffold: the methods answer that
//! networking is not available yet; the network work replaces every one of them.)

use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::backend::NetworkBackend;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::network::Nic;
use vireo_app::error::AppError;
use vireo_app::models::{
    AttachedNic, CurrentUser, GridPage, GridQuery, NetworkView, NewNetworkRequest, NicChangeOutcome, ReportedNic,
    VnicProfileRequest, VnicProfileView,
};

fn unavailable() -> AppError {
    AppError::conflict("Networking is not available in this build.")
}

#[async_trait::async_trait]
impl NetworkBackend for VireoService {
    async fn network_grid(&self, _q: &GridQuery) -> Result<GridPage<NetworkView>, AppError> {
        Err(unavailable())
    }
    async fn vnic_profile_grid(&self, _q: &GridQuery) -> Result<GridPage<VnicProfileView>, AppError> {
        Err(unavailable())
    }
    async fn network(&self, _id: Uuid) -> Result<NetworkView, AppError> {
        Err(unavailable())
    }
    async fn vnic_profile(&self, _id: Uuid) -> Result<VnicProfileView, AppError> {
        Err(unavailable())
    }
    async fn list_vnic_profiles(&self) -> Result<Vec<VnicProfileView>, AppError> {
        Err(unavailable())
    }
    async fn default_vnic_profile(&self, _cluster_id: Option<Uuid>) -> Result<Option<Uuid>, AppError> {
        Err(unavailable())
    }
    async fn add_network(&self, _actor: &CurrentUser, _request: NewNetworkRequest) -> Result<NetworkView, AppError> {
        Err(unavailable())
    }
    async fn remove_network(&self, _actor: &CurrentUser, _id: Uuid) -> Result<(), AppError> {
        Err(unavailable())
    }
    async fn add_vnic_profile(
        &self,
        _actor: &CurrentUser,
        _request: VnicProfileRequest,
    ) -> Result<VnicProfileView, AppError> {
        Err(unavailable())
    }
    async fn update_vnic_profile(
        &self,
        _actor: &CurrentUser,
        _id: Uuid,
        _version: i32,
        _request: VnicProfileRequest,
    ) -> Result<VnicProfileView, AppError> {
        Err(unavailable())
    }
    async fn remove_vnic_profile(&self, _actor: &CurrentUser, _id: Uuid) -> Result<(), AppError> {
        Err(unavailable())
    }
    async fn refresh_networks(&self, _actor: &CurrentUser, _host_id: Option<Uuid>) -> Result<(), AppError> {
        Err(unavailable())
    }
    async fn vm_nics(&self, _kind: ConfigKind, _id: Uuid) -> Result<Vec<AttachedNic>, AppError> {
        Err(unavailable())
    }
    async fn add_nic(
        &self,
        _actor: &CurrentUser,
        _kind: ConfigKind,
        _id: Uuid,
        _nic: Nic,
    ) -> Result<NicChangeOutcome, AppError> {
        Err(unavailable())
    }
    async fn update_nic(
        &self,
        _actor: &CurrentUser,
        _kind: ConfigKind,
        _id: Uuid,
        _nic: Nic,
    ) -> Result<NicChangeOutcome, AppError> {
        Err(unavailable())
    }
    async fn remove_nic(
        &self,
        _actor: &CurrentUser,
        _kind: ConfigKind,
        _id: Uuid,
        _nic_id: Uuid,
    ) -> Result<NicChangeOutcome, AppError> {
        Err(unavailable())
    }
    async fn reported_nics(&self, _id: Uuid) -> Result<Vec<ReportedNic>, AppError> {
        Err(unavailable())
    }
}
