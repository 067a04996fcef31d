//! The VM grid's rows as HTML text (`components/grid_html.rs`), on the server and in the browser,
//! and what marks them while on screen: the ticked boxes and a bulk operation's progress.
//! `app/tests/grid_html.rs` checks the rows the page writes.

use super::bulk::Selection;
use super::{uptime_text, Progress};
use crate::components::grid_html::{num_cell, push_attr, push_text, text_cell, HtmlRows, RowMarks, RowOut};
use crate::components::object_grid::RowCtx;
use crate::components::type_icon::{icon_file_and_mode, type_mode_label};
use crate::models::VmRow;
use leptos::prelude::*;
use std::sync::Arc;
use uuid::Uuid;

pub fn vm_rows(selection: Selection, progress: Progress) -> HtmlRows<VmRow> {
    HtmlRows {
        write: Arc::new(move |v: &VmRow, ctx: &RowCtx, out: &mut RowOut| {
            write_vm_row(v, ctx, selection.has(v.id), out)
        }),
        marks: Arc::new(move || {
            let ticked = selection.ids();
            let ops = progress.0.get();
            Box::new(move |id: &str| {
                let Ok(id) = Uuid::parse_str(id) else {
                    return RowMarks::default();
                };
                RowMarks {
                    ticked: ticked.contains(&id),
                    note: ops
                        .get(&id)
                        .map(|(ok, text)| (if *ok { "op op-ok" } else { "op op-error" }, text.clone())),
                }
            })
        }),
        on_tick: Arc::new(move |id: &str, on: bool| {
            if let Ok(id) = Uuid::parse_str(id) {
                selection.set(id, on);
            }
        }),
        // Following a VM's link selects it alone, even when the URL already selects it.
        on_link: Arc::new(move |id: &str| {
            if let Ok(id) = Uuid::parse_str(id) {
                selection.only(id);
            }
        }),
    }
}

/// One VM's row: its attributes and its cells, in the columns' order (`vms.rs`).
fn write_vm_row(v: &VmRow, ctx: &RowCtx, ticked: bool, out: &mut RowOut) {
    out.attr("data-type", v.optimized_for.as_str());
    out.attr("data-status", v.status.as_str());
    if ticked {
        out.class("checked");
    }
    let id = v.id.to_string();
    let c = &mut out.cells;
    // The box, in the toolbar's form (without JavaScript it posts the ticked rows).
    c.push_str("<td class=\"check-col\"><input type=\"checkbox\" name=\"ids\"");
    push_attr(c, "value", &id);
    push_attr(c, "form", "vm-bulk");
    push_attr(c, "aria-label", &format!("Select {}", v.name));
    if ticked {
        c.push_str(" checked");
    }
    c.push_str("></td>");
    // Type: as `TypeIcon` draws it elsewhere.
    let in_pool = v.pool_name.is_some();
    let (file, mode) = icon_file_and_mode(v.optimized_for, v.stateless, v.next_run, in_pool);
    let label = type_mode_label(v.optimized_for, v.stateless, v.next_run, in_pool);
    c.push_str("<td><img");
    push_attr(c, "src", &file);
    push_attr(c, "alt", &label);
    push_attr(c, "title", &label);
    c.push_str(" width=\"20\" height=\"20\"");
    push_attr(c, "data-mode", &mode);
    c.push_str(" class=\"type-icon\"></td>");
    // Status; a bulk operation's note goes beside it (`RowMarks`).
    c.push_str("<td><span");
    push_attr(c, "class", &format!("status status-{}", v.status));
    c.push('>');
    push_text(c, v.status.label());
    c.push_str("</span></td>");
    // Name: the link that selects the row.
    c.push_str("<td><a");
    push_attr(c, "href", &ctx.href);
    c.push('>');
    push_text(c, &v.name);
    c.push_str("</a></td>");
    text_cell(c, Some("desc"), &v.description);
    text_cell(c, None, &v.cluster_name);
    text_cell(c, None, v.host_name.as_deref().unwrap_or_default());
    text_cell(c, None, &v.template_name);
    text_cell(c, None, v.pool_name.as_deref().unwrap_or_default());
    text_cell(c, Some("num"), &format!("{} MiB", v.memory_mib));
    num_cell(c, v.vcpus);
    text_cell(c, None, &uptime_text(v.uptime_secs));
    c.push_str("<td class=\"mono\" data-col=\"ip-addresses\">");
    push_text(c, &v.ip_addresses);
    c.push_str("</td>");
}
