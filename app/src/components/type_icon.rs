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

/// Optimized-for icon in its mode (SVGs in `public/icons/types/`), named by its tooltip.
#[component]
pub fn TypeIcon(
    kind: OptimizedFor,
    #[prop(optional)] stateless: bool,
    #[prop(optional)] next_run: bool,
    #[prop(optional)] in_pool: bool,
) -> impl IntoView {
    let file = format!(
        "/icons/types/{}{}{}{}.svg",
        kind.as_str(),
        if stateless { "-stateless" } else { "" },
        if next_run { "-nextrun" } else { "" },
        if in_pool { "-pool" } else { "" }
    );
    let label = type_mode_label(kind, stateless, next_run, in_pool);
    let mode = format!(
        "{}{}{}{}",
        kind.as_str(),
        if stateless { " stateless" } else { "" },
        if next_run { " next-run" } else { "" },
        if in_pool { " pool" } else { "" }
    );
    view! { <img class="type-icon" src=file alt=label.clone() title=label width="20" height="20" data-mode=mode /> }
}

#[cfg(test)]
mod tests {
    use super::*;

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
