//! The server's rows of a large grid written as text instead of built as views (issue 16).
//!
//! Why: Leptos builds, walks twice and frees a view per cell, attribute and reactive closure; for
//! the VM grid's 100 rows × 13 columns that was most of the page's server time (criterion:
//! `app/benches/grid_render.rs`; `perf`: `malloc`/`free` under tachys). The browser hydrates the
//! same rows with its views, so what the server writes here must be what those views render,
//! byte for byte, hydration markers (`<!>`) included: `app/tests/grid_html.rs` renders the page
//! both ways, for rows covering every state and hostile text, and compares the HTML.
//!
//! A page gives `ObjectGrid` a [`RowHtml`] for its cells and row attributes; `ObjectGrid` writes the
//! `<tr>` around them. Server-only: nothing here is in the browser's bundle.

use super::object_grid::RowCtx;
use std::fmt::Write;

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
pub type RowHtml<T> = std::sync::Arc<dyn Fn(&T, &RowCtx, &mut RowOut) + Send + Sync>;

/// The `<tr>` a grid row renders to: `selectable` rows carry `aria-selected` and a `tabindex`,
/// as `ObjectGrid`'s row view; `chosen` is the row drawn as selected.
pub fn write_row(buf: &mut String, id: &str, selectable: bool, chosen: bool, row: RowOut) {
    buf.push_str("<tr");
    push_attr(buf, "data-id", id);
    if selectable {
        push_attr(buf, "aria-selected", if chosen { "true" } else { "false" });
        push_attr(buf, "tabindex", "-1");
    }
    buf.push_str(&row.attrs);
    // The row view's `class:selected`, then the page's classes; always written, as tachys does.
    let mut classes = String::new();
    if chosen {
        classes.push_str("selected");
    }
    classes.push_str(&row.classes);
    push_attr(buf, "class", classes.trim());
    buf.push('>');
    buf.push_str(&row.cells);
    // The markers of the row's cell list and of its children.
    buf.push_str("<!><!></tr>");
}

/// The marker after the last row (the row list's; the body writes its own).
pub const ROWS_END: &str = "<!>";

/// ` name="value"`, the value escaped as tachys escapes attributes.
pub fn push_attr(buf: &mut String, name: &str, value: &str) {
    buf.push(' ');
    buf.push_str(name);
    buf.push_str("=\"");
    buf.push_str(&html_escape::encode_double_quoted_attribute(value));
    buf.push('"');
}

/// A text child as tachys writes a string: escaped, a space when empty (so the browser has a text
/// node to hydrate), then the marker that ends it.
pub fn push_text(buf: &mut String, text: &str) {
    if text.is_empty() {
        buf.push(' ');
    } else {
        buf.push_str(&html_escape::encode_text(text));
    }
    buf.push_str("<!>");
}

/// `<td{class}>text<!></td>`: `Column::text`, `num` and `desc` cells.
pub fn text_cell(buf: &mut String, class: Option<&str>, text: &str) {
    buf.push_str("<td");
    if let Some(class) = class {
        push_attr(buf, "class", class);
    }
    buf.push('>');
    push_text(buf, text);
    buf.push_str("</td>");
}

/// A number as text, without a temporary string.
pub fn num_cell(buf: &mut String, n: impl std::fmt::Display) {
    buf.push_str("<td class=\"num\">");
    let _ = write!(buf, "{n}");
    buf.push_str("<!></td>");
}

/// In the context, grids build their rows as views on the server too: the test that compares the
/// two (`app/tests/grid_html.rs`).
#[derive(Clone, Copy, Debug)]
pub struct RowsAsViews;
