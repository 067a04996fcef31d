//! The one grid page skeleton: the URL's grid state → one resource → search box, sortable table,
//! selected row (a click anywhere on it, arrow keys, Enter for Edit: `grid_keys`), pager, empty
//! state, live updates. A page gives its columns, toolbar, details and
//! dialogs; everything else lives here (on top of `grid_controls`), so the grids cannot drift.
//!
//! ```text
//! let grid = GridState::new("name", false, true, cluster_grid);
//! view! {
//!     <ObjectGrid title="Clusters" path="/clusters" noun="clusters" grid row_id=|c: &ClusterView| c.id.to_string()
//!         placeholder="Search…" hint="Words match names." empty="No clusters match."
//!         columns=vec![Column::link("Name", "name", |c: &ClusterView| c.name.clone()), …] />
//! }
//! ```

use super::built_once::built_once;
use super::error_notice::ErrorNotice;
use super::grid_controls::{grid_href, search_message, GridSearch, Pager, SortHeader};
#[cfg(feature = "hydrate")]
use super::grid_html::set_marks;
use super::grid_html::{write_row, HtmlRows, Marks, RowOut};
use super::grid_keys::{self, Navigate, RowLinks};
use super::live_updates::on_live_change;
use crate::domain::collections::CollectionFields;
use crate::domain::live_changes::{order_may_change, should_refetch, Shown};
use crate::error::AppError;
use crate::models::{GridPage, GridQuery};
use leptos::attr::custom::custom_attribute;
use leptos::html::Tbody;
use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::{AnyAttribute, IntoAnyAttribute};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use std::sync::Arc;

pub type GridResult<T> = Result<GridPage<T>, AppError>;

/// A grid page's state: the URL's query and selected row, the page of rows, and a counter that
/// refetches them (bumped by the page after its own changes, and by `ObjectGrid` on live changes
/// that touch the page). Built once per page; the page reads it too (toolbar, dialogs on the selection).
pub struct GridState<T: Send + Sync + 'static> {
    pub query: Memo<GridQuery>,
    /// The URL's `selected` row id.
    pub selected: Signal<Option<String>>,
    pub rows: Resource<GridResult<T>>,
    /// Bump to refetch after a change made on this page.
    pub reload: RwSignal<u32>,
}

impl<T: Send + Sync + 'static> Clone for GridState<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for GridState<T> {}

impl<T> GridState<T>
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    /// One resource, keyed on the URL's grid query and the reload counter (and on the selected row
    /// when `refetch_on_select`). `fetch` is the page's grid server function.
    pub fn new<Fut>(
        default_sort: &'static str,
        default_desc: bool,
        refetch_on_select: bool,
        fetch: impl Fn(GridQuery) -> Fut + Send + Sync + 'static,
    ) -> Self
    where
        Fut: Future<Output = GridResult<T>> + Send + 'static,
    {
        let url = use_query_map();
        let query = Memo::new(move |_| url.with(|q| GridQuery::from_params(|k| q.get(k), default_sort, default_desc)));
        let selected = Signal::derive(move || url.with(|q| q.get("selected")));
        let reload = RwSignal::new(0u32);
        // The query the last finished fetch asked for. A refetch started just before a navigation
        // (a live change arriving as a saved dialog moves to `?selected=`) can finish after the URL
        // moved on without the resource fetching again for the new query (seen under load: the
        // grid stayed on page 1 while the URL selected a row on page 3). Whatever the cause, a
        // page fetched for another query than the URL's is refetched once more below.
        let fetched_for = RwSignal::new(None::<GridQuery>);
        let rows = Resource::new(
            move || {
                let sel = if refetch_on_select { selected.get() } else { None };
                (query.get(), reload.get(), sel)
            },
            move |(q, ..)| {
                let page = fetch(q.clone());
                async move {
                    let page = page.await;
                    fetched_for.try_set(Some(q));
                    page
                }
            },
        );
        // In the browser only (the server renders each page from one fetch for its own URL), and on
        // each finished fetch alone: a navigation itself refetches through the resource's key.
        Effect::new(move |_| {
            let Some(fetched) = fetched_for.get() else {
                return;
            };
            if query.with_untracked(|q| *q != fetched) {
                reload.update(|n| *n += 1);
            }
        });
        Self {
            query,
            selected,
            rows,
            reload,
        }
    }

    /// The URL's selected row among the loaded ones (tracks the resource).
    pub fn selected_row(&self, id: impl Fn(&T) -> String) -> Option<T> {
        let want = self.selected.get()?;
        self.rows
            .with(|r| r.as_ref()?.as_ref().ok()?.rows.iter().find(|r| id(r) == want).cloned())
    }

    pub fn refetch(&self) {
        self.reload.update(|n| *n += 1);
    }
}

/// What a cell renderer knows about its row besides the row itself.
pub struct RowCtx {
    /// The link that selects this row (keeps the grid's view); empty in a grid without selection.
    pub href: String,
    /// Whether the row was the selected one when the table was drawn (a later selection changes
    /// the row's marks, not its cells: a cell that must follow it reads the grid's signal).
    pub selected: bool,
}

type Cell<T> = Arc<dyn Fn(&T, &RowCtx) -> AnyView + Send + Sync>;
type Header<T> = Arc<dyn Fn(&[T]) -> AnyView + Send + Sync>;

/// One column: its header (a label, sortable by a key, or drawn from the page's rows) and the
/// `<td>` it draws for a row (none in a grid whose rows are HTML text: `grid_html`).
pub struct Column<T> {
    label: &'static str,
    sort: Option<&'static str>,
    header: Option<Header<T>>,
    cell: Option<Cell<T>>,
}

impl<T: 'static> Column<T> {
    /// A column that sorts by `key`; `cell` draws the whole `<td>`.
    pub fn sorted<V: IntoAny + 'static>(
        label: &'static str,
        key: &'static str,
        cell: impl Fn(&T) -> V + Send + Sync + 'static,
    ) -> Self {
        Self::with_ctx(label, Some(key), move |r, _| cell(r))
    }

    /// A column without sorting.
    pub fn plain<V: IntoAny + 'static>(label: &'static str, cell: impl Fn(&T) -> V + Send + Sync + 'static) -> Self {
        Self::with_ctx(label, None, move |r, _| cell(r))
    }

    /// The row's name as the link that selects the row.
    pub fn link(label: &'static str, key: &'static str, name: impl Fn(&T) -> String + Send + Sync + 'static) -> Self {
        Self::with_ctx(label, Some(key), move |r, ctx| {
            view! {
                <td>
                    <a href=ctx.href.clone()>{name(r)}</a>
                </td>
            }
        })
    }

    /// A `<td>` of text; sorted when given a key (`"name"`), else plain (`None`).
    pub fn text<V: IntoView + 'static>(
        label: &'static str,
        sort: impl Into<Option<&'static str>>,
        text: impl Fn(&T) -> V + Send + Sync + 'static,
    ) -> Self {
        Self::with_ctx(label, sort.into(), move |r, _| view! { <td>{text(r)}</td> })
    }

    /// A `<td class="num">`: a number (or an amount with its unit), right-aligned.
    pub fn num<V: IntoView + 'static>(
        label: &'static str,
        sort: impl Into<Option<&'static str>>,
        text: impl Fn(&T) -> V + Send + Sync + 'static,
    ) -> Self {
        Self::with_ctx(label, sort.into(), move |r, _| view! { <td class="num">{text(r)}</td> })
    }

    /// A `<td class="desc">`: a free-text description.
    pub fn desc(
        label: &'static str,
        sort: impl Into<Option<&'static str>>,
        text: impl Fn(&T) -> String + Send + Sync + 'static,
    ) -> Self {
        Self::with_ctx(
            label,
            sort.into(),
            move |r, _| view! { <td class="desc">{text(r)}</td> },
        )
    }

    /// A cell that also needs the row's link or selection.
    pub fn with_ctx<V: IntoAny + 'static>(
        label: &'static str,
        sort: Option<&'static str>,
        cell: impl Fn(&T, &RowCtx) -> V + Send + Sync + 'static,
    ) -> Self {
        Self {
            label,
            sort,
            header: None,
            cell: Some(Arc::new(move |r, ctx| cell(r, ctx).into_any())),
        }
    }

    /// Only the header, sorted when given a key: the column of a grid whose rows are HTML text.
    pub fn head(label: &'static str, sort: Option<&'static str>) -> Self {
        Self {
            label,
            sort,
            header: None,
            cell: None,
        }
    }

    /// Only a header, drawn from the page's rows (a "select all" box), for a grid whose rows are
    /// HTML text.
    pub fn custom_head<H: IntoAny + 'static>(header: impl Fn(&[T]) -> H + Send + Sync + 'static) -> Self {
        Self {
            label: "",
            sort: None,
            header: Some(Arc::new(move |rows| header(rows).into_any())),
            cell: None,
        }
    }
}

/// A row's extra attributes (`data-*`, classes): `|v: &VmRow| vec![data("data-status", v.status.clone())]`.
pub struct RowAttrs<T>(Attrs<T>);

type Attrs<T> = Arc<dyn Fn(&T) -> Vec<AnyAttribute> + Send + Sync>;

impl<T, F: Fn(&T) -> Vec<AnyAttribute> + Send + Sync + 'static> From<F> for RowAttrs<T> {
    fn from(f: F) -> Self {
        Self(Arc::new(f))
    }
}

/// A `data-*` attribute for [`RowAttrs`].
pub fn data(name: &'static str, value: impl Into<String>) -> AnyAttribute {
    custom_attribute(name, value.into()).into_any_attr()
}

/// A grid page's dialog: `dialog` draws it for the URL's `dialog=<mode>` (`None`: not yet, or
/// not at all). In a Transition, not a Suspense: a live refetch must not unmount a half-filled dialog.
pub fn url_dialog<V: IntoView + Send + 'static>(
    dialog: impl Fn(String) -> Option<V> + Send + Sync + 'static,
) -> impl IntoView {
    let url = use_query_map();
    view! { <Transition fallback=|| ()>{move || url.with(|q| q.get("dialog")).and_then(&dialog)}</Transition> }
}

/// Which row is the selected one.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum RowSelection {
    /// The URL's `selected` row.
    #[default]
    FromUrl,
    /// The URL's `selected` row if it is on the page, else the first row (a page that always shows
    /// one row's details).
    FromUrlOrFirst,
    /// Rows are not selectable (no links, no `aria-selected`).
    None,
}

/// A grid page: title and toolbar, the search box, the table (or the empty state), the pager, the
/// chosen row's details, then `below`; `children` (the page's dialogs) come first in the tree
/// (see below).
#[component]
pub fn ObjectGrid<T>(
    /// The page's `<title>` and heading.
    title: &'static str,
    /// The page's path; the table's id is the path's name + `-grid` (`/hosts` → `#hosts-grid`).
    path: &'static str,
    /// The table's accessible name, when it is not the title.
    #[prop(optional)]
    label: Option<&'static str>,
    /// "hosts": the pager's total and the loading text.
    noun: &'static str,
    grid: GridState<T>,
    /// What the grid's query can sort by (`domain/collections.rs`); every sortable column's key is one of them.
    fields: CollectionFields,
    placeholder: &'static str,
    hint: &'static str,
    /// Shown instead of the table when the page has no rows.
    empty: &'static str,
    columns: Vec<Column<T>>,
    /// The row's `data-id` and the value of `selected` in the URL.
    row_id: fn(&T) -> String,
    /// More attributes for a row (`data-*`, classes).
    #[prop(optional, into)]
    row_attrs: Option<RowAttrs<T>>,
    /// The rows as HTML text instead of views (`grid_html`: a large grid), with what marks them;
    /// the columns then give only their headers.
    #[prop(default = None)]
    row_html: Option<HtmlRows<T>>,
    #[prop(optional)] selection: RowSelection,
    /// Beside the heading (no toolbar: the heading alone).
    #[prop(optional, into)]
    toolbar: Option<ViewFn>,
    /// Between the heading and the search box (a notice).
    #[prop(optional, into)]
    above: Option<ViewFn>,
    /// Drawn below the pager for the selected row.
    #[prop(optional, into)]
    detail: Option<Callback<T, AnyView>>,
    /// Drawn after the table and its details (a page's own detail area, as the VMs' sub-tabs).
    #[prop(optional, into)]
    below: Option<ViewFn>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    // A key the query does not know would quietly sort by the default: a programming error, caught
    // by every test that renders the page.
    debug_assert!(
        columns
            .iter()
            .filter_map(|c| c.sort)
            .all(|key| fields.grid_sorts.contains(&key)),
        "{title}: a column sorts by a key that {path}'s collection does not list"
    );
    // Live updates: refetch when a change touches this page — one of its rows, rows added or
    // removed, a table it reads besides — and ignore changes to rows on other pages.
    let live = fields.live;
    on_live_change(
        move |changes| {
            let ids: Option<Vec<String>> = grid.rows.with_untracked(|r| {
                r.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|p| p.rows.iter().map(row_id).collect())
            });
            let moves = grid.query.with_untracked(|q| order_may_change(&q.search, &q.sort));
            let shown = match &ids {
                // Still loading, or an error shown: anything in its tables may be news.
                _ if !live.by_row => Shown::All,
                None => Shown::All,
                Some(ids) => Shown::Page {
                    ids,
                    order_may_change: moves,
                },
            };
            should_refetch(changes, &live, shown)
        },
        move || grid.refetch(),
    );
    let navigate = use_navigate();
    let navigate: Navigate = Arc::new(move |href: &str| {
        navigate(
            href,
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        )
    });
    debug_assert!(
        row_html.is_some() || columns.iter().all(|c| c.cell.is_some()),
        "{title}: a column without cells in a grid whose rows are views"
    );
    let tbody = NodeRef::new();
    if let Some(html) = &row_html {
        follow_marks(tbody, grid.selected, selection, Arc::clone(&html.marks));
    }
    let table = Arc::new(Table {
        path,
        navigate,
        id: format!("{}-grid", path.trim_start_matches('/')),
        label: label.unwrap_or(title),
        noun,
        empty,
        columns,
        row_id,
        row_attrs,
        row_html,
        selection,
        detail,
        tbody,
    });
    let header = match toolbar {
        Some(toolbar) => view! {
            <div class="page-header">
                <h1>{title}</h1>
                {toolbar.run()}
            </div>
        }
        .into_any(),
        None => view! { <h1>{title}</h1> }.into_any(),
    };
    // The page's dialogs come first in the tree (they are fixed overlays: the order is not seen).
    // Why: a grid's row details (and `below`) may create resources and Transitions (a host's CPU
    // map, a VM's sub-tabs). The browser creates them while hydrating the table, before whatever follows it;
    // the server only once the rows have loaded, after everything else. Anything with a
    // serialization id after the table — a dialog's resource — would then get different ids on the
    // two sides, read another resource's data, and hydration would stop (the page dead to input).
    // Placed before the table, the dialogs get the same ids on both sides, and the row details'
    // own ids come last on both.
    let dialogs = children.map(|c| c());
    view! {
        <Title text=title />
        <div class="page">
            {dialogs} {header} {above.map(|above| above.run())}
            <Transition fallback=move || {
                view! { <p class="loading">{format!("Loading {noun}…")}</p> }
            }>
                // A Suspend, not a read of the resource: on the server the boundary resolves its
                // children before writing them, and a plain view is resolved node by node (a boxed
                // future per cell, most of a 100-row page's render: issue 16), while a Suspend's
                // view is written as built. The URL's query is read here, outside the future, so
                // the closure tracks it. The selected row is not: selecting one updates the rows'
                // marks and the details in place instead of redrawing the table (the click on a
                // row answered in ~350 ms on a 100-row page: issue 16). Built once on the server
                // (`built_once`).
                {built_once(move || {
                    let query = grid.query.get();
                    let table = Arc::clone(&table);
                    Suspend::new(async move {
                        let result = grid.rows.await;
                        view! {
                            <GridSearch
                                path
                                query=query.clone()
                                placeholder
                                hint
                                error=result.as_ref().err().and_then(search_message)
                            />
                            {match result {
                                Err(e) if search_message(&e).is_some() => ().into_any(),
                                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                                Ok(page) => table.render(page, query, grid.selected),
                            }}
                        }
                    })
                })}
            </Transition> {below.map(|below| below.run())}
        </div>
    }
}

struct Table<T: 'static> {
    path: &'static str,
    navigate: Navigate,
    id: String,
    label: &'static str,
    noun: &'static str,
    empty: &'static str,
    columns: Vec<Column<T>>,
    row_id: fn(&T) -> String,
    row_attrs: Option<RowAttrs<T>>,
    row_html: Option<HtmlRows<T>>,
    selection: RowSelection,
    detail: Option<Callback<T, AnyView>>,
    /// The `<tbody>` of rows written as HTML text, whose marks `follow_marks` sets.
    tbody: NodeRef<Tbody>,
}

impl<T: Clone + Send + Sync + 'static> Table<T> {
    /// The table for one page of rows. `url_selected` is read reactively only by what shows the
    /// selection (the rows' marks, the links that keep it, the details), not by the table itself.
    fn render(&self, page: GridPage<T>, url_query: GridQuery, url_selected: Signal<Option<String>>) -> AnyView {
        let path = self.path;
        // The page shown may differ from the URL's (the page holding a selected row).
        let shown = GridQuery {
            page: page.page,
            focus: None,
            ..url_query
        };
        // Each row's id and selecting link, made once: the keys use them, and so do the rows.
        let links: RowLinks = Arc::new(
            page.rows
                .iter()
                .map(|r| {
                    let id = (self.row_id)(r);
                    let href = grid_href(path, &shown, Some(&id), |_| {});
                    (id, href)
                })
                .collect(),
        );
        // Reference-counted, not owned: the Transition keeps this table on screen while the next
        // query loads, after the owner it was built under has been cleaned up, and its links and
        // marks still follow the URL until it is replaced.
        let selection = self.selection;
        let chosen = {
            let links = Arc::clone(&links);
            ArcMemo::new(move |_| {
                let url = url_selection(url_selected);
                chosen_id(selection, url.as_deref(), &links, |l| l.0.clone())
            })
        };
        let pager = (page.total > 0).then(|| {
            let selected =
                ArcMemo::new(move |_| url_selection(url_selected).filter(|_| selection != RowSelection::None));
            view! { <Pager path query=shown.clone() total=page.total noun=self.noun selected /> }
        });
        // The chosen row's details follow the selection (built once on the server, as the table).
        let detail = self.detail.map(|detail| {
            let (rows, row_id, chosen) = (page.rows.clone(), self.row_id, chosen.clone());
            built_once(move || {
                chosen.with(|id| {
                    let id = id.as_deref()?;
                    let row = rows.iter().find(|r| row_id(r) == id)?.clone();
                    Some(detail.run(row))
                })
            })
        });
        if page.rows.is_empty() {
            return view! {
                <p class="empty" data-testid="grid-empty">
                    {self.empty}
                </p>
                {pager}
            }
            .into_any();
        }
        let headers = self
            .columns
            .iter()
            .map(|c| match (&c.header, c.sort) {
                (Some(header), _) => header(&page.rows),
                (None, Some(key)) => {
                    view! { <SortHeader label=c.label key path query=shown.clone() selected=chosen.clone() /> }
                        .into_any()
                }
                (None, None) => view! { <th scope="col">{c.label}</th> }.into_any(),
            })
            .collect_view();
        let selectable = self.selection != RowSelection::None;
        // Re-rendering drops the focused row: put the focus back once the new table is drawn.
        chosen.with_untracked(|c| grid_keys::keep_focus(&self.id, c.as_deref()));
        let body = match &self.row_html {
            Some(html) => {
                let text = self.rows_html(html, &page.rows, &links, &chosen);
                view! { <tbody node_ref=self.tbody inner_html=text></tbody> }.into_any()
            }
            None => view! { <tbody>{self.row_views(&page.rows, &links, &chosen)}</tbody> }.into_any(),
        };
        // The rows' clicks and boxes are handled here, for every row, not by a handler on each.
        let click = {
            let (links, navigate) = (Arc::clone(&links), self.navigate.clone());
            let on_link = self.row_html.as_ref().map(|h| Arc::clone(&h.on_link));
            move |ev| grid_keys::table_click(ev, selectable.then_some(&links), &navigate, on_link.as_deref())
        };
        let on_tick = self.row_html.as_ref().map(|h| Arc::clone(&h.on_tick));
        let change = move |ev| {
            if let Some(on_tick) = &on_tick {
                grid_keys::row_tick(ev, on_tick.as_ref())
            }
        };
        let navigate = self.navigate.clone();
        let keys = move |ev| {
            if selectable {
                chosen.with_untracked(|c| grid_keys::grid_key(ev, &links, c.as_deref(), &navigate))
            }
        };
        view! {
            <div class="grid-scroll">
                <table
                    class="grid"
                    id=self.id.clone()
                    aria-label=self.label
                    tabindex=selectable.then_some("0")
                    on:keydown=keys
                    on:click=click
                    on:change=change
                >
                    <thead>
                        <tr>{headers}</tr>
                    </thead>
                    {body}
                </table>
            </div>
            {pager}
            {detail}
        }
        .into_any()
    }

    /// The rows as views (the browser always; the server for a grid without a writer).
    fn row_views(&self, rows: &[T], links: &RowLinks, chosen: &ArcMemo<Option<String>>) -> AnyView {
        let selectable = self.selection != RowSelection::None;
        rows.iter()
            .zip(links.iter())
            .map(|(r, (id, href))| {
                let id = id.clone();
                let ctx = RowCtx {
                    href: if selectable { href.clone() } else { String::new() },
                    selected: chosen.with_untracked(|c| c.as_deref() == Some(id.as_str())),
                };
                let attrs = self.row_attrs.as_ref().map(|f| (f.0)(r)).unwrap_or_default();
                let cells = self
                    .columns
                    .iter()
                    .filter_map(|c| c.cell.as_ref().map(|cell| cell(r, &ctx)))
                    .collect_view();
                let is_chosen = {
                    let (id, chosen) = (id.clone(), chosen.clone());
                    move || chosen.with(|c| c.as_deref() == Some(id.as_str()))
                };
                let aria = selectable.then(|| {
                    let is_chosen = is_chosen.clone();
                    move || is_chosen().to_string()
                });
                view! {
                    <tr
                        data-id=id
                        aria-selected=aria
                        class:selected=is_chosen
                        tabindex=selectable.then_some("-1")
                        {..attrs}
                    >
                        {cells}
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    }

    /// The rows as HTML text (`grid_html`), with their marks as they are now: the server's page,
    /// and each new page of rows in the browser.
    fn rows_html(&self, html: &HtmlRows<T>, rows: &[T], links: &RowLinks, chosen: &ArcMemo<Option<String>>) -> String {
        let selectable = self.selection != RowSelection::None;
        let mut text = String::with_capacity(rows.len() * 1536);
        // Untracked: the marks that change later are set in place (`follow_marks`), not redrawn.
        chosen.with_untracked(|chosen| {
            untrack(|| {
                for (r, (id, href)) in rows.iter().zip(links.iter()) {
                    let ctx = RowCtx {
                        href: if selectable { href.clone() } else { String::new() },
                        selected: chosen.as_deref() == Some(id.as_str()),
                    };
                    let mut out = RowOut::default();
                    (html.write)(r, &ctx, &mut out);
                    write_row(&mut text, id, selectable, ctx.selected, out);
                }
            })
        });
        text
    }
}

/// Rows written as HTML text keep their marks in place: the URL's selection and the page's marks
/// are set on them when either changes, and on each new `<tbody>` (an effect: the browser only).
fn follow_marks(tbody: NodeRef<Tbody>, url_selected: Signal<Option<String>>, selection: RowSelection, marks: Marks) {
    Effect::new(move |_| {
        let url = url_selected.get();
        let marker = marks();
        let Some(tbody) = tbody.get() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        {
            let ids: Vec<String> = match selection {
                RowSelection::FromUrlOrFirst => {
                    let rows = tbody.children();
                    (0..rows.length())
                        .filter_map(|i| rows.item(i)?.get_attribute("data-id"))
                        .collect()
                }
                _ => Vec::new(),
            };
            let chosen = chosen_id(selection, url.as_deref(), &ids, String::clone);
            set_marks(&tbody, selection != RowSelection::None, chosen.as_deref(), &marker);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (tbody, url, marker, selection);
    });
}

/// The URL's selected row, as the table's memos read it. They are reference-counted and outlive
/// the owner of the URL's signal (the Transition keeps the last table on screen past it), so once
/// that owner is gone they read no selection instead of panicking. Seen on the server under load:
/// a Suspense's walk (`dry_resolve`) of a finished page, run by a task that started after the
/// request's owner was disposed, read the URL through the pager's links and panicked, about once in
/// 10,000 renders of `/vms` at 16 connections (`make bench-grid`; the answer itself was sent). In
/// the browser a panic would stop the app.
fn url_selection(url_selected: Signal<Option<String>>) -> Option<String> {
    url_selected.try_get().flatten()
}

/// The id of the row drawn as selected (and whose details are shown).
fn chosen_id<T>(
    selection: RowSelection,
    url_selected: Option<&str>,
    rows: &[T],
    row_id: fn(&T) -> String,
) -> Option<String> {
    match selection {
        RowSelection::None => None,
        RowSelection::FromUrl => url_selected.map(str::to_string),
        RowSelection::FromUrlOrFirst => url_selected
            .filter(|id| rows.iter().any(|r| row_id(r) == *id))
            .map(str::to_string)
            .or_else(|| rows.first().map(row_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memo that outlives the URL signal's owner reads no selection, not a panic.
    #[test]
    fn the_selection_read_after_its_owner_is_gone_is_none() {
        let owner = Owner::new();
        let signal: Signal<Option<String>> = owner.with(|| RwSignal::new(Some("vm-1".to_string())).into());
        assert_eq!(url_selection(signal), Some("vm-1".to_string()));
        // The page's owner goes; a reference-counted memo made before or after still reads.
        let before = ArcMemo::new(move |_| url_selection(signal));
        owner.unset();
        assert!(signal.try_get_untracked().is_none(), "the signal is disposed");
        assert_eq!(url_selection(signal), None);
        let after = ArcMemo::new(move |_| url_selection(signal));
        assert_eq!(after.get_untracked(), None);
        assert_eq!(before.get_untracked(), None, "first read after the owner went");
    }

    #[test]
    fn the_chosen_row_follows_the_selection_rule() {
        let rows = ["a", "b"];
        let id: fn(&&str) -> String = |r| r.to_string();
        assert_eq!(
            chosen_id(RowSelection::FromUrl, Some("z"), &rows, id).as_deref(),
            Some("z"),
            "kept off the page"
        );
        assert_eq!(chosen_id(RowSelection::FromUrl, None, &rows, id), None);
        assert_eq!(
            chosen_id(RowSelection::FromUrlOrFirst, Some("b"), &rows, id).as_deref(),
            Some("b")
        );
        assert_eq!(
            chosen_id(RowSelection::FromUrlOrFirst, Some("z"), &rows, id).as_deref(),
            Some("a"),
            "first when not on the page"
        );
        assert_eq!(chosen_id(RowSelection::FromUrlOrFirst, None, &[] as &[&str], id), None);
        assert_eq!(chosen_id(RowSelection::None, Some("a"), &rows, id), None);
    }
}
