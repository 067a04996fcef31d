//! The pieces every grid page shares: the search box, sortable column headers, the pager with
//! the total and page size. They are links and a GET form over the URL's grid state, so a link
//! reproduces a view, Back works, and all of it works without JavaScript.

use crate::models::{GridQuery, PAGE_SIZES};
use leptos::prelude::*;

/// A grid URL with `q` changed by `edit`; `selected` keeps the selected row. Written into one
/// string: the server renders one per row (issue 16's profile had the pieces at 6% of the page).
pub fn grid_href(path: &str, q: &GridQuery, selected: Option<&str>, edit: impl FnOnce(&mut GridQuery)) -> String {
    let mut q = q.clone();
    edit(&mut q);
    let mut out = String::with_capacity(path.len() + q.search.len() * 3 + 96);
    out.push_str(path);
    let mut sep = '?';
    let mut pair = |k: &str, v: &str| {
        out.push(sep);
        sep = '&';
        out.push_str(k);
        out.push('=');
        encode_into(&mut out, v);
    };
    if !q.search.is_empty() {
        pair("q", &q.search);
    }
    pair("sort", &q.sort);
    pair("dir", if q.desc { "desc" } else { "asc" });
    pair("page", &q.page.to_string());
    pair("size", &q.page_size.to_string());
    if let Some(s) = selected {
        pair("selected", s);
    }
    out
}

/// A query value, percent-encoded (everything but unreserved characters).
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    encode_into(&mut out, v);
    out
}

fn encode_into(out: &mut String, v: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[component]
pub fn GridSearch(
    path: &'static str,
    query: GridQuery,
    #[prop(into)] placeholder: String,
    #[prop(into)] hint: String,
    error: Option<String>,
) -> impl IntoView {
    let invalid = error.is_some().to_string();
    view! {
        <form class="grid-search" method="get" action=path role="search">
            <label for="grid-search-input" class="visually-hidden">
                "Search"
            </label>
            <input
                id="grid-search-input"
                type="search"
                name="q"
                value=query.search.clone()
                placeholder=placeholder
                aria-invalid=invalid
                aria-describedby="grid-search-hint"
            />
            <input type="hidden" name="sort" value=query.sort.clone() />
            <input type="hidden" name="dir" value=if query.desc { "desc" } else { "asc" } />
            <input type="hidden" name="size" value=query.page_size.to_string() />
            <button type="submit" class="btn">
                "Search"
            </button>
            <p id="grid-search-hint" class="hint">
                {hint}
            </p>
            {error
                .map(|e| {
                    view! {
                        <p class="field-error" role="alert" data-testid="search-error">
                            {e}
                        </p>
                    }
                })}
        </form>
    }
}

/// A column header that sorts by `key`; clicking the sorted column flips the direction.
#[component]
pub fn SortHeader(
    label: &'static str,
    key: &'static str,
    path: &'static str,
    query: GridQuery,
    /// The selected row, kept by the link (reactive: selecting a row does not redraw the table).
    selected: ArcMemo<Option<String>>,
) -> impl IntoView {
    let active = query.sort == key;
    let aria = if !active {
        "none"
    } else if query.desc {
        "descending"
    } else {
        "ascending"
    };
    let arrow = if !active {
        ""
    } else if query.desc {
        " ▼"
    } else {
        " ▲"
    };
    let href = move || {
        selected.with(|s| {
            grid_href(path, &query, s.as_deref(), |q| {
                q.desc = active && !q.desc;
                q.sort = key.into();
                q.page = 1;
            })
        })
    };
    view! {
        <th scope="col" aria-sort=aria data-sort=key>
            <a href=href class="sort-link">
                {label}
                {arrow}
            </a>
        </th>
    }
}

/// "1–50 of 10,000 virtual machines", the page links and the page-size choice.
#[component]
pub fn Pager(
    path: &'static str,
    query: GridQuery,
    total: i64,
    noun: &'static str,
    /// The selected row, kept by the links (reactive: selecting a row does not redraw the pager).
    selected: ArcMemo<Option<String>>,
) -> impl IntoView {
    let pages = ((total.max(0) as u64).div_ceil(u64::from(query.page_size.max(1))) as u32).max(1);
    let page = query.page;
    let link = |to: u32, label: &'static str, rel: &'static str| {
        let enabled = to != page && to >= 1 && to <= pages;
        let (query, selected) = (query.clone(), selected.clone());
        let href = move || selected.with(|s| grid_href(path, &query, s.as_deref(), |q| q.page = to));
        if enabled {
            view! {
                <a class="btn" href=href rel=rel aria-label=format!("{label} page")>
                    {label}
                </a>
            }
            .into_any()
        } else {
            view! {
                <span class="btn" aria-disabled="true">
                    {label}
                </span>
            }
            .into_any()
        }
    };
    // Page sizes are links, not a form: nothing the user picked can be lost when a live update
    // re-renders the pager (a half-chosen <select> was), and one click does it, with or without
    // JavaScript. Page 1 at the new size.
    let sizes = PAGE_SIZES
        .iter()
        .map(|&size| {
            let current = size == query.page_size;
            let (query, selected) = (query.clone(), selected.clone());
            let href = move || {
                selected.with(|s| {
                    grid_href(path, &query, s.as_deref(), |q| {
                        q.page_size = size;
                        q.page = 1;
                    })
                })
            };
            view! {
                <a
                    class="btn btn-size"
                    href=href
                    aria-label=format!("{size} rows per page")
                    aria-current=current.then_some("true")
                    data-size=size.to_string()
                >
                    {size.to_string()}
                </a>
            }
        })
        .collect_view();
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="total" data-testid="grid-total" data-total=total.to_string()>
                {range_text(&query, total, noun)}
            </span>
            {link(1, "First", "first")}
            // Past the end (a shared link after removals), Previous leads back to the last page.
            {link(page.saturating_sub(1).min(pages), "Previous", "prev")}
            <span class="page-of" data-testid="grid-page">
                {format!("Page {page} of {pages}")}
            </span>
            {link(page + 1, "Next", "next")}
            {link(pages, "Last", "last")}
            <span class="page-size" role="group" aria-labelledby="page-size-label">
                <span id="page-size-label">"Rows per page"</span>
                {sizes}
            </span>
        </nav>
    }
}

/// "26–50 of 120 virtual machines"; a page past the end says so instead of counting backwards.
fn range_text(query: &GridQuery, total: i64, noun: &str) -> String {
    let offset = query.offset();
    if total > 0 && offset >= total {
        return format!("Page {} is past the end: {total} {noun} in all", query.page);
    }
    let first = if total == 0 { 0 } else { offset + 1 };
    let last = (offset + i64::from(query.page_size)).min(total);
    format!("{first}–{last} of {total} {noun}")
}

/// The search box's message when the grid refused the search (unknown field, bad value).
pub fn search_error<T>(result: Result<T, crate::error::AppError>) -> Option<String> {
    result.err().as_ref().and_then(search_message)
}

pub fn search_message(e: &crate::error::AppError) -> Option<String> {
    match e {
        crate::error::AppError::Validation { errors } => {
            errors.iter().find(|e| e.field == "search").map(|e| e.message.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_names_the_rows_shown() {
        let mut q = GridQuery::new("name");
        q.page_size = 25;
        q.page = 2;
        assert_eq!(range_text(&q, 120, "VMs"), "26–50 of 120 VMs");
        q.page = 5;
        assert_eq!(range_text(&q, 120, "VMs"), "101–120 of 120 VMs");
        q.page = 99;
        assert_eq!(range_text(&q, 120, "VMs"), "Page 99 is past the end: 120 VMs in all");
        q.page = 1;
        assert_eq!(range_text(&q, 0, "VMs"), "0–0 of 0 VMs");
    }

    #[test]
    fn queries_are_held_to_the_grid_limits() {
        let mut q = GridQuery::new("name");
        (q.page, q.page_size) = (0, 1_000_000);
        let q = q.within_limits();
        assert_eq!((q.page, q.page_size), (1, 200));
        let mut q = GridQuery::new("name");
        q.page_size = 0;
        assert_eq!(q.within_limits().page_size, 1);
    }

    #[test]
    fn links_keep_the_state_and_encode_the_search() {
        let q = GridQuery {
            search: "db type:high_performance".into(),
            sort: "memory".into(),
            desc: true,
            page: 3,
            page_size: 25,
            focus: None,
        };
        assert_eq!(
            grid_href("/vms", &q, Some("abc"), |q| q.page = 4),
            "/vms?q=db%20type%3Ahigh_performance&sort=memory&dir=desc&page=4&size=25&selected=abc"
        );
        let plain = GridQuery::new("name");
        assert_eq!(
            grid_href("/hosts", &plain, None, |q| q.search = String::new()),
            format!("/hosts?sort=name&dir=asc&page=1&size={}", plain.page_size),
            "no search, no q="
        );
        assert_eq!(
            encode("é&=+/~a-Z_9."),
            "%C3%A9%26%3D%2B%2F~a-Z_9.",
            "UTF-8 bytes, reserved ones"
        );
        let parsed = GridQuery::from_params(
            |k| match k {
                "q" => Some("db".into()),
                "sort" => Some("memory".into()),
                "dir" => Some("desc".into()),
                "page" => Some("0".into()),
                "size" => Some("7".into()),
                _ => None,
            },
            "name",
            false,
        );
        assert_eq!(
            (parsed.page, parsed.page_size, parsed.desc),
            (1, 50, true),
            "bad values take defaults"
        );
    }
}
