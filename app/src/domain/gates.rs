//! Gates: choices that are not offered at all, each with the reason the UI shows beside the disabled
//! choice and the API returns as a field error.

use super::vm_config::{CompatVersion, OptimizedFor, OsFamily};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateContext {
    pub os_family: Option<OsFamily>,
    pub cluster_name: String,
    pub cluster_version: CompatVersion,
}

/// Why `target` cannot be chosen here, or `None` when it can.
pub fn profile_blocked(target: OptimizedFor, ctx: &GateContext) -> Option<String> {
    if target != OptimizedFor::HighPerformance {
        return None;
    }
    if ctx.os_family == Some(OsFamily::Windows) {
        return Some("High Performance is not available for Windows guests; choose a Linux or other OS type.".into());
    }
    if ctx.cluster_version < CompatVersion::HIGH_PERFORMANCE {
        return Some(format!(
            "High Performance needs cluster compatibility version {} or later; cluster {} is {}.",
            CompatVersion::HIGH_PERFORMANCE,
            ctx.cluster_name,
            ctx.cluster_version
        ));
    }
    None
}

/// Huge pages need cluster ≥ 4.2 (seed: "huge pages are not supported prior to 4.2").
pub fn huge_pages_blocked(ctx: &GateContext) -> Option<String> {
    (ctx.cluster_version < CompatVersion::HIGH_PERFORMANCE).then(|| {
        format!(
            "Huge pages need cluster compatibility version {} or later; cluster {} is {}.",
            CompatVersion::HIGH_PERFORMANCE,
            ctx.cluster_name,
            ctx.cluster_version
        )
    })
}

/// Every profile with the reason it is disabled, for the "Optimized for" select.
pub fn profile_choices(ctx: &GateContext) -> Vec<(OptimizedFor, Option<String>)> {
    OptimizedFor::ALL
        .into_iter()
        .map(|p| (p, profile_blocked(p, ctx)))
        .collect()
}

/// Pass-through exposes the host's exact CPU, so the VM cannot move to another host.
pub const PASSTHROUGH_NEEDS_PINNING: &str =
    "Pass-through host CPU requires migration to be disabled (Migration Mode: Do not allow migration).";

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(os: OsFamily, v: (u32, u32)) -> GateContext {
        GateContext {
            os_family: Some(os),
            cluster_name: "c1".into(),
            cluster_version: CompatVersion::new(v.0, v.1),
        }
    }

    #[test]
    fn windows_guests_cannot_be_high_performance() {
        let reason = profile_blocked(OptimizedFor::HighPerformance, &ctx(OsFamily::Windows, (4, 8))).unwrap();
        assert!(reason.contains("Windows"));
        assert_eq!(
            profile_blocked(OptimizedFor::Server, &ctx(OsFamily::Windows, (4, 8))),
            None
        );
        assert_eq!(
            profile_blocked(OptimizedFor::Desktop, &ctx(OsFamily::Windows, (4, 1))),
            None
        );
    }

    #[test]
    fn clusters_below_4_2_offer_neither_high_performance_nor_huge_pages() {
        let old = ctx(OsFamily::Linux, (4, 1));
        let reason = profile_blocked(OptimizedFor::HighPerformance, &old).unwrap();
        assert!(reason.contains("4.2") && reason.contains("c1 is 4.1"), "{reason}");
        assert!(huge_pages_blocked(&old).unwrap().contains("Huge pages"));
        let ok = ctx(OsFamily::Linux, (4, 2));
        assert_eq!(profile_blocked(OptimizedFor::HighPerformance, &ok), None);
        assert_eq!(huge_pages_blocked(&ok), None);
    }

    #[test]
    fn unknown_os_family_is_not_blocked_and_choices_list_all_three() {
        let c = GateContext {
            os_family: None,
            cluster_name: "c".into(),
            cluster_version: CompatVersion::LATEST,
        };
        let choices = profile_choices(&c);
        assert_eq!(choices.len(), 3);
        assert!(choices.iter().all(|(_, r)| r.is_none()));
        let win = profile_choices(&ctx(OsFamily::Windows, (4, 8)));
        assert!(win[2].1.is_some() && win[0].1.is_none());
    }
}
