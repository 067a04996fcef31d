//! A grid's mouse and keyboard, as oVirt's grids behave: a click anywhere on a row selects it,
//! Arrow Up/Down (Home/End) move the selection, Enter opens Edit on the selected row, Space ticks
//! the row's box. Selection stays in the URL: each of these navigates (client-side) to the link the
//! row's name already has, so without JavaScript the name link does the same job. The table
//! handles its rows' clicks and boxes (`table_click`, `row_tick`): one handler, not one per row.
//!
//! Selecting a row changes its marks in place (the focus stays where the keys put it). The grid
//! redraws its table when the query or the rows change (a live update too), which drops the
//! focused element; `keep_focus` puts the focus back on the selected row, so the keys keep working
//! and "focus follows the selection".

use std::sync::Arc;

/// Client-side navigation that keeps the scroll position (a grid selection is not a new page).
pub type Navigate = Arc<dyn Fn(&str) + Send + Sync>;

/// The grid's rows in order: their `data-id` and the link that selects them.
pub type RowLinks = Arc<Vec<(String, String)>>;

/// The row a movement key leads to, from `current` among `len` rows; None for any other key (or
/// no rows). At the page's edge the selection stays.
pub fn moved_to(key: &str, current: Option<usize>, len: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    let to = match (key, current) {
        ("ArrowDown", Some(i)) => (i + 1).min(last),
        ("ArrowUp", Some(i)) => i.saturating_sub(1).min(last),
        ("ArrowDown" | "Home", _) => 0,
        ("ArrowUp" | "End", _) => last,
        _ => return None,
    };
    Some(to)
}

/// Marks a page's Edit link (toolbar) as the one Enter follows in its grid.
pub const EDIT_MARK: &str = "data-grid-edit";

#[cfg(feature = "hydrate")]
mod browser {
    use super::{moved_to, Navigate, RowLinks, EDIT_MARK};
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent, MouseEvent};

    /// What handles its own clicks and keys inside a row.
    const CONTROLS: &str = "a, button, input, select, textarea, label, summary, [role=button]";

    fn target(ev: &web_sys::Event) -> Option<Element> {
        ev.target()?.dyn_into::<Element>().ok()
    }

    fn focus(el: Option<Element>) {
        if let Some(el) = el.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }

    /// The table's row with this `data-id`.
    fn row(table: &Element, id: &str) -> Option<Element> {
        let rows = table.query_selector_all("tbody tr[data-id]").ok()?;
        (0..rows.length())
            .filter_map(|i| rows.item(i)?.dyn_into::<Element>().ok())
            .find(|r| r.get_attribute("data-id").as_deref() == Some(id))
    }

    /// The row (its `data-id`) an event happened in, and the element it happened on.
    fn in_row(ev: &web_sys::Event) -> Option<(String, Element)> {
        let on = target(ev)?;
        let id = on.closest("tr[data-id]").ok().flatten()?.get_attribute("data-id")?;
        Some((id, on))
    }

    /// A click in the table, for all its rows: on a row's link, `on_link` with the row's id (the
    /// link itself navigates); elsewhere on a row of a grid with `rows` to select, selects it.
    pub fn table_click(
        ev: MouseEvent,
        rows: Option<&RowLinks>,
        navigate: &Navigate,
        on_link: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) {
        let Some((id, on)) = in_row(&ev) else { return };
        if on.closest("a[href]").ok().flatten().is_some() {
            if let Some(on_link) = on_link {
                on_link(&id);
            }
            return;
        }
        if let Some((_, href)) = rows.and_then(|rows| rows.iter().find(|(r, _)| *r == id)) {
            row_click(ev, href, navigate);
        }
    }

    /// A row's box changed: `on_tick` with the row's id and whether the box is ticked now.
    pub fn row_tick(ev: web_sys::Event, on_tick: &(dyn Fn(&str, bool) + Send + Sync)) {
        let Some((id, on)) = in_row(&ev) else { return };
        if let Some(b) = on
            .dyn_into::<HtmlInputElement>()
            .ok()
            .filter(|b| b.type_() == "checkbox")
        {
            on_tick(&id, b.checked());
        }
    }

    /// A click anywhere on a selectable row (not on its box, links or buttons) selects it.
    fn row_click(ev: MouseEvent, href: &str, navigate: &Navigate) {
        if ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
            return;
        }
        if target(&ev).is_some_and(|t| t.closest(CONTROLS).ok().flatten().is_some()) {
            return;
        }
        // Selecting a cell's text is not a click on the row.
        let selecting = web_sys::window()
            .and_then(|w| w.get_selection().ok().flatten())
            .is_some_and(|s| s.type_() == "Range");
        if !selecting {
            navigate(href);
        }
    }

    pub fn grid_key(ev: KeyboardEvent, rows: &RowLinks, selected: Option<&str>, navigate: &Navigate) {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let Some(on) = target(&ev) else { return };
        let Some(table) = on.closest("table").ok().flatten() else {
            return;
        };
        // Enter and Space on a link, box or button do what they always do.
        let on_control = on.closest(CONTROLS).ok().flatten().is_some();
        let key = ev.key();
        match key.as_str() {
            "ArrowDown" | "ArrowUp" | "Home" | "End" => {
                // The URL's selection, else the row the focus is on.
                let focused = on
                    .closest("tr[data-id]")
                    .ok()
                    .flatten()
                    .and_then(|r| r.get_attribute("data-id"));
                let current = selected
                    .map(str::to_string)
                    .or(focused)
                    .and_then(|id| rows.iter().position(|(r, _)| *r == id));
                let Some(to) = moved_to(&key, current, rows.len()) else {
                    return;
                };
                ev.prevent_default();
                let (id, href) = &rows[to];
                focus(row(&table, id));
                if Some(to) != current {
                    navigate(href);
                }
            }
            "Enter" if !on_control => {
                let edit = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(&format!("a[{EDIT_MARK}][href]")).ok().flatten())
                    .and_then(|a| a.get_attribute("href"));
                if let Some(href) = edit {
                    ev.prevent_default();
                    navigate(&href);
                }
            }
            " " if !on_control => {
                let boxed = on
                    .closest("tr[data-id]")
                    .ok()
                    .flatten()
                    .and_then(|r| r.query_selector("input[type=checkbox]").ok().flatten())
                    .and_then(|b| b.dyn_into::<HtmlElement>().ok());
                if let Some(b) = boxed {
                    ev.prevent_default();
                    b.click();
                }
            }
            _ => {}
        }
    }

    /// Called while the table is re-rendered, before the new one replaces it: when the focus is in
    /// the table, put it back on the same spot once the new one is drawn (a row's box stays on that
    /// box; otherwise the selected row, or the table).
    pub fn keep_focus(table_id: &str, chosen: Option<&str>) {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(active) = doc.active_element() else { return };
        if active.closest(&format!("#{table_id}")).ok().flatten().is_none() {
            return;
        }
        let in_row = active
            .closest("tr[data-id]")
            .ok()
            .flatten()
            .and_then(|r| r.get_attribute("data-id"));
        let on_box = active.matches("input[type=checkbox]").unwrap_or(false) && in_row.is_some();
        let (table_id, chosen) = (table_id.to_string(), chosen.map(str::to_string));
        leptos::prelude::request_animation_frame(move || {
            let Some(table) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&table_id))
            else {
                return;
            };
            let spot = match (on_box, in_row, chosen) {
                (true, Some(id), _) => {
                    row(&table, &id).and_then(|r| r.query_selector("input[type=checkbox]").ok().flatten())
                }
                (_, _, Some(id)) => row(&table, &id),
                _ => None,
            };
            focus(spot.or(Some(table)));
        });
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{grid_key, keep_focus, row_tick, table_click};

/// Without a browser there is nothing to click, press or focus.
#[cfg(not(feature = "hydrate"))]
pub fn table_click(
    _ev: leptos::ev::MouseEvent,
    _rows: Option<&RowLinks>,
    _navigate: &Navigate,
    _on_link: Option<&(dyn Fn(&str) + Send + Sync)>,
) {
}
#[cfg(not(feature = "hydrate"))]
pub fn row_tick(_ev: leptos::ev::Event, _on_tick: &(dyn Fn(&str, bool) + Send + Sync)) {}
#[cfg(not(feature = "hydrate"))]
pub fn grid_key(_ev: leptos::ev::KeyboardEvent, _rows: &RowLinks, _selected: Option<&str>, _navigate: &Navigate) {}
#[cfg(not(feature = "hydrate"))]
pub fn keep_focus(_table_id: &str, _chosen: Option<&str>) {}

#[cfg(test)]
mod tests {
    use super::moved_to;

    #[test]
    fn movement_keys_step_and_stay_at_the_edges() {
        assert_eq!(moved_to("ArrowDown", Some(0), 3), Some(1));
        assert_eq!(moved_to("ArrowDown", Some(2), 3), Some(2), "last row: stays");
        assert_eq!(moved_to("ArrowUp", Some(2), 3), Some(1));
        assert_eq!(moved_to("ArrowUp", Some(0), 3), Some(0), "first row: stays");
        assert_eq!(moved_to("Home", Some(2), 3), Some(0));
        assert_eq!(moved_to("End", Some(0), 3), Some(2));
    }

    #[test]
    fn without_a_selection_the_keys_start_at_an_end() {
        assert_eq!(moved_to("ArrowDown", None, 3), Some(0));
        assert_eq!(moved_to("ArrowUp", None, 3), Some(2));
        assert_eq!(moved_to("ArrowDown", None, 0), None, "no rows");
        assert_eq!(moved_to("Enter", Some(1), 3), None, "not a movement key");
    }
}
