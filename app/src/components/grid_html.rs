//! A large grid's rows as HTML text, on both sides, instead of a view per cell (issue 16).
//!
//! Why: Leptos builds, walks and frees a view per cell, attribute and reactive closure. For the
//! VM grid's 100 rows × 13 columns that was most of the page's server time (criterion:
//! `app/benches/grid_render.rs`; `perf`: `malloc`/`free` under tachys). In the browser, hydrating
//! those views was about a third of the page's script time (`make bench-nav`'s traces, A/B: 31–40
//! ms against 22–27 ms without them); the navigation itself waits mostly on the rows' style,
//! layout and paint, which no way of writing them removes.
//!
//! So the page writes each row as text ([`RowHtml`]), the server sends it inside the `<tbody>`
//! and the browser keeps it as it came: the `<tbody>` hydrates as one element with its inner HTML.
//! A new page of rows in the browser is the same text, parsed by the browser. What changes while
//! the rows are on screen — the selected row, the ticked boxes, a bulk operation's note — is not
//! redrawn: one effect sets those marks on the rows in place ([`RowMarks`], `ObjectGrid`), and the
//! table handles its rows' clicks and box changes for them (`grid_keys`).
//!
//! A page gives `ObjectGrid` an [`HtmlRows`]; `ObjectGrid` writes the `<tr>` around its cells.

use super::object_grid::RowCtx;
use std::fmt::Write;
use std::sync::Arc;

/// One row's parts, filled by the page's [`RowHtml`]: its own attributes (after the grid's),
/// the classes that are on (after the grid's `selected`), and its cells.
#[derive(Default)]
pub struct RowOut {
    attrs: String,
    classes: String,
    pub cells: String,
}

impl RowOut {
    /// ` name="value"` on the row.
    pub fn attr(&mut self, name: &str, value: &str) {
        push_attr(&mut self.attrs, name, value);
    }

    /// A class on the row.
    pub fn class(&mut self, name: &str) {
        self.classes.push(' ');
        self.classes.push_str(name);
    }
}

/// Writes one row's parts.
pub type RowHtml<T> = Arc<dyn Fn(&T, &RowCtx, &mut RowOut) + Send + Sync>;

/// What marks one row while it is on screen, besides the grid's selection: whether its box is
/// ticked (and the row's `checked` class), and a note beside its `.status` (a class and a text: a
/// bulk operation's progress).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowMarks {
    pub ticked: bool,
    pub note: Option<(&'static str, String)>,
}

/// The marks of each row (by its `data-id`) at one moment.
pub type RowMarker = Box<dyn Fn(&str) -> RowMarks>;

/// Reads what the marks follow (tracked: the marks are set again when it changes) and returns
/// each row's marks.
pub type Marks = Arc<dyn Fn() -> RowMarker + Send + Sync>;

/// What a row's box or link does, by the row's id (and whether the box is ticked now).
pub type OnTick = Arc<dyn Fn(&str, bool) + Send + Sync>;
pub type OnLink = Arc<dyn Fn(&str) + Send + Sync>;

/// A grid whose rows are HTML text ([`RowHtml`]), and what the rows' marks and controls do.
pub struct HtmlRows<T> {
    /// Writes a row's cells and attributes, with its marks as they are now.
    pub write: RowHtml<T>,
    /// The rows' marks as they are now ([`Marks`]).
    pub marks: Marks,
    /// A row's box was ticked (`true`) or cleared, by the row's id.
    pub on_tick: OnTick,
    /// A link in the row was followed (the row's name: it selects the row).
    pub on_link: OnLink,
}

/// The `<tr>` a grid row renders to: `selectable` rows carry `aria-selected` and a `tabindex`,
/// as `ObjectGrid`'s row views do; `chosen` is the row drawn as selected.
pub fn write_row(buf: &mut String, id: &str, selectable: bool, chosen: bool, row: RowOut) {
    buf.push_str("<tr");
    push_attr(buf, "data-id", id);
    if selectable {
        push_attr(buf, "aria-selected", if chosen { "true" } else { "false" });
        push_attr(buf, "tabindex", "-1");
    }
    buf.push_str(&row.attrs);
    let mut classes = String::new();
    if chosen {
        classes.push_str("selected");
    }
    classes.push_str(&row.classes);
    let classes = classes.trim();
    if !classes.is_empty() {
        push_attr(buf, "class", classes);
    }
    buf.push('>');
    buf.push_str(&row.cells);
    buf.push_str("</tr>");
}

/// ` name="value"`, the value escaped for a double-quoted attribute.
pub fn push_attr(buf: &mut String, name: &str, value: &str) {
    buf.push(' ');
    buf.push_str(name);
    buf.push_str("=\"");
    buf.push_str(&html_escape::encode_double_quoted_attribute(value));
    buf.push('"');
}

/// Text, escaped.
pub fn push_text(buf: &mut String, text: &str) {
    buf.push_str(&html_escape::encode_text(text));
}

/// `<td{class}>text</td>`.
pub fn text_cell(buf: &mut String, class: Option<&str>, text: &str) {
    buf.push_str("<td");
    if let Some(class) = class {
        push_attr(buf, "class", class);
    }
    buf.push('>');
    push_text(buf, text);
    buf.push_str("</td>");
}

/// A number, right-aligned, without a temporary string.
pub fn num_cell(buf: &mut String, n: impl std::fmt::Display) {
    buf.push_str("<td class=\"num\">");
    let _ = write!(buf, "{n}");
    buf.push_str("</td>");
}

/// Sets the grid's selection and the page's marks on the rows of `tbody` in place (the browser's
/// half of this module; the effect that calls it is `ObjectGrid`'s).
#[cfg(feature = "hydrate")]
pub fn set_marks(tbody: &web_sys::Element, selectable: bool, chosen: Option<&str>, marker: &RowMarker) {
    use wasm_bindgen::JsCast;
    let rows = tbody.children();
    for i in 0..rows.length() {
        let Some(tr) = rows.item(i) else { continue };
        let Some(id) = tr.get_attribute("data-id") else {
            continue;
        };
        let is_chosen = chosen == Some(id.as_str());
        let classes = tr.class_list();
        if selectable {
            let aria = if is_chosen { "true" } else { "false" };
            if tr.get_attribute("aria-selected").as_deref() != Some(aria) {
                let _ = tr.set_attribute("aria-selected", aria);
            }
            let _ = classes.toggle_with_force("selected", is_chosen);
        }
        let marks = marker(&id);
        let _ = classes.toggle_with_force("checked", marks.ticked);
        if let Some(b) = tr
            .query_selector("input[type=checkbox]")
            .ok()
            .flatten()
            .and_then(|b| b.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            if b.checked() != marks.ticked {
                b.set_checked(marks.ticked);
            }
        }
        set_note(&tr, marks.note.as_ref());
    }
}

/// The row's note beside its `.status`: made, changed or removed.
#[cfg(feature = "hydrate")]
fn set_note(tr: &web_sys::Element, note: Option<&(&'static str, String)>) {
    let shown = tr.query_selector(".op").ok().flatten();
    match (shown, note) {
        (None, None) => {}
        (Some(el), None) => el.remove(),
        (Some(el), Some((class, text))) => {
            if el.get_attribute("class").as_deref() != Some(class) {
                let _ = el.set_attribute("class", class);
            }
            if el.text_content().as_deref() != Some(text.as_str()) {
                el.set_text_content(Some(text));
            }
        }
        (None, Some((class, text))) => {
            let Some(status) = tr.query_selector(".status").ok().flatten() else {
                return;
            };
            let Some(el) = tr.owner_document().and_then(|d| d.create_element("span").ok()) else {
                return;
            };
            let _ = el.set_attribute("class", class);
            let _ = el.set_attribute("data-testid", "op");
            el.set_text_content(Some(text));
            let _ = status.after_with_node_1(&el);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_its_parts_escaped() {
        let mut out = RowOut::default();
        out.attr("data-status", "up\"><script>");
        out.class("checked");
        text_cell(&mut out.cells, Some("desc"), "a < b & \"c\"");
        num_cell(&mut out.cells, 42);
        let mut html = String::new();
        write_row(&mut html, "id-1", true, true, out);
        assert_eq!(
            html,
            "<tr data-id=\"id-1\" aria-selected=\"true\" tabindex=\"-1\" data-status=\"up&quot;&gt;&lt;script&gt;\" \
             class=\"selected checked\"><td class=\"desc\">a &lt; b &amp; \"c\"</td><td class=\"num\">42</td></tr>"
        );
    }

    #[test]
    fn a_row_not_selectable_has_no_selection_marks_and_no_empty_class() {
        let mut html = String::new();
        write_row(&mut html, "x", false, false, RowOut::default());
        assert_eq!(html, "<tr data-id=\"x\"></tr>");
    }
}
