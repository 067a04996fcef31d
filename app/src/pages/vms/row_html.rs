//! The VM grid's rows as the server writes them (`components/grid_html.rs`): each cell as its view
//! in `columns` renders it, markers included. A change to a column changes both;
//! `app/tests/grid_html.rs` fails on any difference.

use super::bulk::Selection;
use super::uptime_text;
use crate::components::grid_html::{num_cell, push_attr, push_text, text_cell, RowHtml, RowOut};
use crate::components::object_grid::RowCtx;
use crate::components::type_icon::{icon_file_and_mode, type_mode_label};
use crate::models::VmRow;
use std::sync::Arc;

pub fn vm_row_html(selection: Selection) -> RowHtml<VmRow> {
    Arc::new(move |v: &VmRow, ctx: &RowCtx, out: &mut RowOut| {
        out.attr("data-type", v.optimized_for.as_str());
        out.attr("data-status", v.status.as_str());
        if selection.has(v.id) {
            out.class("checked");
        }
        let id = v.id.to_string();
        let c = &mut out.cells;
        // The check box.
        c.push_str("<td class=\"check-col\"><input type=\"checkbox\" name=\"ids\"");
        push_attr(c, "value", &id);
        push_attr(c, "form", "vm-bulk");
        push_attr(c, "aria-label", &format!("Select {}", v.name));
        if ctx.selected {
            c.push_str(" checked");
        }
        c.push_str("><!></td>");
        // Type: `TypeIcon`.
        let in_pool = v.pool_name.is_some();
        let (file, mode) = icon_file_and_mode(v.optimized_for, v.stateless, v.next_run, in_pool);
        let label = type_mode_label(v.optimized_for, v.stateless, v.next_run, in_pool);
        c.push_str("<td><img");
        push_attr(c, "src", &file);
        push_attr(c, "alt", &label);
        push_attr(c, "title", &label);
        push_attr(c, "width", "20");
        push_attr(c, "height", "20");
        push_attr(c, "data-mode", &mode);
        push_attr(c, "class", "type-icon");
        c.push_str("><!></td>");
        // Status, and the marker of a bulk operation's progress (none on the server).
        c.push_str("<td><span");
        push_attr(c, "class", &format!("status status-{}", v.status));
        c.push('>');
        push_text(c, v.status.label());
        c.push_str("</span><!><!><!></td>");
        // Name: the link that selects the row.
        c.push_str("<td><a");
        push_attr(c, "href", &ctx.href);
        c.push('>');
        push_text(c, &v.name);
        c.push_str("</a><!></td>");
        text_cell(c, Some("desc"), &v.description);
        text_cell(c, None, &v.cluster_name);
        text_cell(c, None, v.host_name.as_deref().unwrap_or_default());
        text_cell(c, None, &v.template_name);
        text_cell(c, None, v.pool_name.as_deref().unwrap_or_default());
        text_cell(c, Some("num"), &format!("{} MiB", v.memory_mib));
        num_cell(c, v.vcpus);
        text_cell(c, None, &uptime_text(v.uptime_secs));
        c.push_str("<td data-col=\"ip-addresses\" class=\"mono\">");
        push_text(c, &v.ip_addresses);
        c.push_str("</td>");
    })
}
