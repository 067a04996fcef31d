//! What the New/Edit dialog does when a field that drives other fields changes: "Optimized for"
//! applies its profile (unless a gate blocks it), and an instance type then overrides its fields.
//! Pure, so the hydrated dialog runs it in the browser and the server runs it for plain form posts.

use super::draft::VmDraft;
use super::gates::{profile_blocked, GateContext};
use super::instance_type::{apply_instance_type, InstanceTypeSpec};
use super::profile::{apply_profile, Change, ProfileContext};
use super::rule_context::RuleContext;
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refresh {
    pub draft: VmDraft,
    /// What the profile changed, then what the instance type overrode.
    pub changes: Vec<Change>,
    /// The profile choice was refused (Windows OS, old cluster); the draft keeps its old profile.
    pub blocked: Option<FieldError>,
}

pub fn gate_context(ctx: &RuleContext) -> GateContext {
    GateContext {
        os_family: ctx.os_family,
        cluster_name: ctx.cluster.name.clone(),
        cluster_version: ctx.cluster.version,
    }
}

/// Brings a draft up to date after the user changed fields: applies a newly chosen profile, then
/// the instance type (`(name, spec)`).
pub fn refresh(draft: &VmDraft, ctx: &RuleContext, instance_type: Option<(&str, &InstanceTypeSpec)>) -> Refresh {
    let mut draft = draft.clone();
    let mut changes = Vec::new();
    let mut blocked = None;
    let target = draft.config.optimized_for;
    if target != draft.applied_profile {
        match profile_blocked(target, &gate_context(ctx)) {
            Some(reason) => {
                draft.config.optimized_for = draft.applied_profile;
                blocked = Some(FieldError::new("optimized_for", reason));
            }
            None => {
                let pctx = ProfileContext {
                    invtsc_available: ctx.invtsc_available(&draft.config),
                };
                let out = apply_profile(&draft.config, target, &pctx);
                draft.config = out.config;
                draft.applied_profile = target;
                changes = out.changes;
            }
        }
    }
    if let Some((name, spec)) = instance_type {
        let (config, overrides) = apply_instance_type(&draft.config, name, spec);
        draft.config = config;
        changes.extend(overrides);
    }
    Refresh {
        draft,
        changes,
        blocked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft::ConfigKind;
    use crate::domain::test_hosts::hp_ctx;
    use crate::domain::vm_config::{CpuTopology, OptimizedFor, OsFamily, VmConfig};

    fn draft_choosing(p: OptimizedFor) -> VmDraft {
        let mut d = VmDraft::new(ConfigKind::Vm, VmConfig::default());
        d.config.optimized_for = p;
        d
    }

    #[test]
    fn choosing_high_performance_applies_it_and_lists_the_changes() {
        let r = refresh(&draft_choosing(OptimizedFor::HighPerformance), &hp_ctx(), None);
        assert_eq!(r.blocked, None);
        assert_eq!(r.draft.applied_profile, OptimizedFor::HighPerformance);
        assert!(
            r.draft.config.headless && r.draft.config.invtsc,
            "the HP host has invtsc"
        );
        assert_eq!(r.changes.len(), 11);
        assert_eq!(
            r.draft.config.cpu_pinning_policy,
            crate::domain::vm_config::CpuPinningPolicy::Dedicated,
            "no host is pinned: dedicated CPUs at each start"
        );
        assert!(r.changes.iter().any(|c| c.field == "cpu_pinning_policy"));
        // Refreshing again changes nothing more.
        let again = refresh(&r.draft, &hp_ctx(), None);
        assert!(again.changes.is_empty());
        assert_eq!(again.draft, r.draft);
    }

    #[test]
    fn a_gate_reverts_the_choice_with_its_reason() {
        let mut ctx = hp_ctx();
        ctx.os_family = Some(OsFamily::Windows);
        let r = refresh(&draft_choosing(OptimizedFor::HighPerformance), &ctx, None);
        assert_eq!(r.draft.config.optimized_for, OptimizedFor::Server);
        assert!(!r.draft.config.headless);
        assert!(r.blocked.unwrap().message.contains("Windows"));
        assert!(r.changes.is_empty());
    }

    #[test]
    fn the_instance_type_overrides_after_the_profile() {
        let spec = InstanceTypeSpec {
            memory_mib: Some(4096),
            cpu: Some(CpuTopology {
                sockets: 1,
                cores: 2,
                threads: 1,
            }),
            memory_balloon: Some(true),
            ..InstanceTypeSpec::default()
        };
        let r = refresh(
            &draft_choosing(OptimizedFor::HighPerformance),
            &hp_ctx(),
            Some(("Medium", &spec)),
        );
        assert!(r.draft.config.memory_balloon, "the instance type wins over A9");
        assert_eq!(r.draft.config.memory_mib, 4096);
        let last = r.changes.last().unwrap();
        assert_eq!(last.field, "memory_balloon");
        assert!(last.reason.contains("Instance type Medium"));
    }
}
