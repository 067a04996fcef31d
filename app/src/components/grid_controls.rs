//! The pieces every grid page shares: the search box, sortable column headers, the pager with
//! the total and page size. They are links and GET forms over the URL's grid state, so a link
//! reproduces a view, Back works, and all of it works without JavaScript.

use crate::models::{GridQuery, PAGE_SIZES};
use leptos::prelude::*;

/// A grid URL with `q` changed by `edit`; `selected` keeps the selected row.
pub fn grid_href(path: &str, q: &GridQuery, selected: Option<&str>, edit: impl FnOnce(&mut GridQuery)) -> String {
    let mut q = q.clone();
    edit(&mut q);
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !q.search.is_empty() {
        pairs.push(("q", q.search.clone()));
    }
    pairs.push(("sort", q.sort.clone()));
    pairs.push(("dir", if q.desc { "desc" } else { "asc" }.into()));
    pairs.push(("page", q.page.to_string()));
    pairs.push(("size", q.page_size.to_string()));
    if let Some(s) = selected {
        pairs.push(("selected", s.to_string()));
    }
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{path}?{query}")
}

fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
            <label for="grid-search-input" class="visually-hidden">"Search"</label>
            <input id="grid-search-input" type="search" name="q" value=query.search.clone() placeholder=placeholder
                aria-invalid=invalid aria-describedby="grid-search-hint" />
            <input type="hidden" name="sort" value=query.sort.clone() />
            <input type="hidden" name="dir" value=if query.desc { "desc" } else { "asc" } />
            <input type="hidden" name="size" value=query.page_size.to_string() />
            <button type="submit" class="btn">"Search"</button>
            <p id="grid-search-hint" class="hint">{hint}</p>
            {error.map(|e| view! { <p class="field-error" role="alert" data-testid="search-error">{e}</p> })}
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
    selected: Option<String>,
) -> impl IntoView {
    let active = query.sort == key;
    let aria = if !active {
        "none"
    } else if query.desc {
        "descending"
    } else {
        "ascending"
    };
    let href = grid_href(path, &query, selected.as_deref(), |q| {
        q.desc = active && !q.desc;
        q.sort = key.into();
        q.page = 1;
    });
    let arrow = if !active {
        ""
    } else if query.desc {
        " ▼"
    } else {
        " ▲"
    };
    view! {
        <th scope="col" aria-sort=aria data-sort=key>
            <a href=href class="sort-link">{label}{arrow}</a>
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
    selected: Option<String>,
) -> impl IntoView {
    let pages = ((total.max(0) as u64).div_ceil(u64::from(query.page_size)) as u32).max(1);
    let page = query.page.min(pages);
    let first = if total == 0 { 0 } else { query.offset() + 1 };
    let last = (query.offset() + i64::from(query.page_size)).min(total);
    let link = |to: u32, label: &'static str, rel: &'static str| {
        let enabled = to != page && to >= 1 && to <= pages;
        let href = grid_href(path, &query, selected.as_deref(), |q| q.page = to);
        if enabled {
            view! { <a class="btn" href=href rel=rel aria-label=format!("{label} page")>{label}</a> }.into_any()
        } else {
            view! { <span class="btn" aria-disabled="true">{label}</span> }.into_any()
        }
    };
    let sizes = PAGE_SIZES
        .iter()
        .map(|s| view! { <option value=s.to_string() selected=*s == query.page_size>{s.to_string()}</option> })
        .collect_view();
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="total" data-testid="grid-total" data-total=total.to_string()>
                {format!("{first}–{last} of {total} {noun}")}
            </span>
            {link(1, "First", "first")}
            {link(page.saturating_sub(1), "Previous", "prev")}
            <span class="page-of" data-testid="grid-page">{format!("Page {page} of {pages}")}</span>
            {link(page + 1, "Next", "next")}
            {link(pages, "Last", "last")}
            <form method="get" action=path class="page-size">
                {(!query.search.is_empty()).then(|| view! { <input type="hidden" name="q" value=query.search.clone() /> })}
                <input type="hidden" name="sort" value=query.sort.clone() />
                <input type="hidden" name="dir" value=if query.desc { "desc" } else { "asc" } />
                <label for="page-size">"Rows per page"</label>
                <select id="page-size" name="size">{sizes}</select>
                <button type="submit" class="btn">"Show"</button>
            </form>
        </nav>
    }
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
