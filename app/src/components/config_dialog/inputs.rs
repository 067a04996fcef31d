//! Field widgets bound to the draft. Each renders its current value as an HTML attribute too, so
//! the form is complete without JavaScript, and carries the `name` a plain form post sends.

use super::state::DialogState;
use crate::domain::draft::VmDraft;
use leptos::prelude::*;

fn state() -> DialogState {
    expect_context::<DialogState>()
}

#[component]
fn Errors(field: &'static str) -> impl IntoView {
    let s = state();
    move || {
        s.field_errors(field)
            .into_iter()
            .map(|m| view! { <p class="field-error" role="alert">{m}</p> })
            .collect_view()
    }
}

/// Checks a text field's syntax; `Err` carries the message shown under it.
pub type SyntaxCheck = fn(&str) -> Result<(), String>;

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    field: &'static str,
    get: fn(&VmDraft) -> String,
    set: fn(&mut VmDraft, String),
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
    /// Syntax check: a failing value is reported on the field and does not reach the draft.
    #[prop(optional)]
    check: Option<SyntaxCheck>,
) -> impl IntoView {
    let s = state();
    let id = format!("f-{name}");
    let value = move || s.draft.with(get);
    let initial = s.draft.with_untracked(get);
    let invalid = move || (!s.field_errors(field).is_empty()).to_string();
    let on_input = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        match check.map_or(Ok(()), |c| c(&v)) {
            Ok(()) => {
                s.draft.update(|d| set(d, v));
                s.clear_error(field);
            }
            Err(message) => s.set_error(field, message),
        }
    };
    // A single-line input even for longer text: Leptos renders <textarea> children unescaped on
    // the server, which would let a stored description break out of the element.
    let control = view! {
        <input id=id.clone() type="text" name=name value=initial prop:value=value placeholder=placeholder
            aria-invalid=invalid on:input=on_input />
    };
    view! {
        <div class="field" data-field=field>
            <label for=id>{label}</label>
            {control}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <Errors field />
        </div>
    }
}

/// A whole-number input. Text that is not a number is reported on the field and does not reach the
/// draft (the input keeps what the user typed).
#[component]
pub fn NumberField(
    label: &'static str,
    name: &'static str,
    field: &'static str,
    get: fn(&VmDraft) -> u64,
    set: fn(&mut VmDraft, u64),
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] min: u64,
) -> impl IntoView {
    let s = state();
    let id = format!("f-{name}");
    let value = move || s.draft.with(get).to_string();
    let initial = s.draft.with_untracked(get).to_string();
    let invalid = move || (!s.field_errors(field).is_empty()).to_string();
    view! {
        <div class="field" data-field=field>
            <label for=id.clone()>{label}</label>
            <input id=id type="number" inputmode="numeric" name=name value=initial prop:value=value min=min.to_string()
                aria-invalid=invalid
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    match v.trim().parse::<u64>() {
                        Ok(n) => {
                            s.draft.update(|d| set(d, n));
                            s.clear_error(field);
                        }
                        Err(_) => s.set_error(field, format!("{label} must be a whole number.")),
                    }
                } />
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <Errors field />
        </div>
    }
}

#[component]
pub fn CheckField(
    label: &'static str,
    name: &'static str,
    field: &'static str,
    get: fn(&VmDraft) -> bool,
    set: fn(&mut VmDraft, bool),
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let s = state();
    let id = format!("f-{name}");
    let value = move || s.draft.with(get);
    let initial = s.draft.with_untracked(get);
    let label_for = id.clone();
    view! {
        <div class="field check-field" data-field=field>
            <label class="check" for=label_for>
                <input id=id type="checkbox" name=name value="on" checked=initial prop:checked=value
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        s.draft.update(|d| set(d, on));
                        s.clear_error(field);
                    } />
                {label}
            </label>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <Errors field />
        </div>
    }
}

/// One choice of a select: value, label, and the reason it is disabled (shown beside the select).
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub disabled: Option<String>,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            disabled: None,
        }
    }
}

#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    field: &'static str,
    #[prop(into)] choices: Signal<Vec<Choice>>,
    get: fn(&VmDraft) -> String,
    /// Called with the chosen value; returns nothing — side effects (profile, template) run here.
    on_pick: Callback<String>,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let s = state();
    let id = format!("f-{name}");
    let value = move || s.draft.with(get);
    let initial = s.draft.with_untracked(get);
    let invalid = move || (!s.field_errors(field).is_empty()).to_string();
    let reasons = move || {
        choices
            .get()
            .into_iter()
            .filter_map(|c| c.disabled.map(|r| (c.label, r)))
            .map(|(label, reason)| view! { <p class="hint gate-reason" data-choice=label.clone()>{format!("{label}: {reason}")}</p> })
            .collect_view()
    };
    view! {
        <div class="field" data-field=field>
            <label for=id.clone()>{label}</label>
            <select id=id name=name prop:value=value aria-invalid=invalid
                on:change=move |ev| {
                    s.clear_error(field);
                    on_pick.run(event_target_value(&ev));
                }>
                {move || {
                    let initial = initial.clone();
                    choices.get().into_iter().map(|c| {
                        let selected = c.value == initial;
                        view! { <option value=c.value.clone() selected=selected disabled=c.disabled.is_some()>{c.label}</option> }
                    }).collect_view()
                }}
            </select>
            {reasons}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <Errors field />
        </div>
    }
}
