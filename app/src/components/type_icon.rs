use crate::domain::vm_config::OptimizedFor;
use leptos::prelude::*;

/// The words of an icon's tooltip, oVirt's: "Stateless High Performance with newer configuration
/// for next run (Pool)" and every shorter combination.
pub fn type_mode_label(kind: OptimizedFor, stateless: bool, next_run: bool, in_pool: bool) -> String {
    format!(
        "{}{}{}{}",
        if stateless { "Stateless " } else { "" },
        kind.label(),
        if next_run {
            " with newer configuration for next run"
        } else {
            ""
        },
        if in_pool { " (Pool)" } else { "" }
    )
}

/// The icon's file and its `data-mode`: the kind, then each flag that is on.
pub(crate) fn icon_file_and_mode(
    kind: OptimizedFor,
    stateless: bool,
    next_run: bool,
    in_pool: bool,
) -> (String, String) {
    let flags = |words: [&str; 3], sep: &str| -> String {
        [stateless, next_run, in_pool]
            .into_iter()
            .zip(words)
            .filter(|(on, _)| *on)
            .map(|(_, word)| format!("{sep}{word}"))
            .collect()
    };
    (
        format!(
            "/icons/types/{}{}.svg",
            kind.as_str(),
            flags(["stateless", "nextrun", "pool"], "-")
        ),
        format!("{}{}", kind.as_str(), flags(["stateless", "next-run", "pool"], " ")),
    )
}

/// Optimized-for icon in its mode (SVGs in `public/icons/types/`), named by its tooltip.
#[component]
pub fn TypeIcon(
    kind: OptimizedFor,
    #[prop(optional)] stateless: bool,
    #[prop(optional)] next_run: bool,
    #[prop(optional)] in_pool: bool,
) -> impl IntoView {
    let (file, mode) = icon_file_and_mode(kind, stateless, next_run, in_pool);
    let label = type_mode_label(kind, stateless, next_run, in_pool);
    view! { <img class="type-icon" src=file alt=label.clone() title=label width="20" height="20" data-mode=mode /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_modes_name_each_flag() {
        let parts = |s, n, p| icon_file_and_mode(OptimizedFor::HighPerformance, s, n, p);
        assert_eq!(
            parts(false, false, false),
            ("/icons/types/high_performance.svg".into(), "high_performance".into())
        );
        assert_eq!(
            parts(true, true, true),
            (
                "/icons/types/high_performance-stateless-nextrun-pool.svg".into(),
                "high_performance stateless next-run pool".into()
            )
        );
        assert_eq!(
            parts(false, true, false),
            (
                "/icons/types/high_performance-nextrun.svg".into(),
                "high_performance next-run".into()
            )
        );
    }

    #[test]
    fn labels_follow_ovirt() {
        assert_eq!(
            type_mode_label(OptimizedFor::HighPerformance, false, false, false),
            "High Performance"
        );
        assert_eq!(
            type_mode_label(OptimizedFor::HighPerformance, true, true, true),
            "Stateless High Performance with newer configuration for next run (Pool)"
        );
        assert_eq!(
            type_mode_label(OptimizedFor::Desktop, false, false, true),
            "Desktop (Pool)"
        );
    }
}
