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
            .map(|m| {
                view! {
                    <p class="field-error" role="alert">
                        {m}
                    </p>
                }
            })
            .collect_view()
    }
}

/// A field's hint, when it has one.
fn hint_text(hint: &'static str) -> impl IntoView {
    (!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })
}

/// The frame of every field but a checkbox: its label, the control (`children`), the hint and the
/// field's errors.
#[component]
fn Field(
    field: &'static str,
    id: String,
    label: &'static str,
    hint: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" data-field=field>
            <label for=id>{label}</label>
            {children()}
            {hint_text(hint)}
            <Errors field />
        </div>
    }
}

/// `aria-invalid` of a field's control: whether the field has errors.
fn invalid(s: DialogState, field: &'static str) -> impl Fn() -> String + Copy {
    move || (!s.field_errors(field).is_empty()).to_string()
}

/// The draft's value for a control: the HTML attribute's (so the form is complete without
/// JavaScript), and a closure that follows it.
fn bound<T: 'static>(s: DialogState, get: fn(&VmDraft) -> T) -> (T, impl Fn() -> T + Copy) {
    (s.draft.with_untracked(get), move || s.draft.with(get))
}

/// Puts what the user gave into the draft and clears the field's error.
fn accept<T>(s: DialogState, field: &'static str, set: fn(&mut VmDraft, T), value: T) {
    s.draft.update(|d| set(d, value));
    s.clear_error(field);
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
    let (initial, value) = bound(s, get);
    let on_input = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        match check.map_or(Ok(()), |c| c(&v)) {
            Ok(()) => accept(s, field, set, v),
            Err(message) => s.set_error(field, message),
        }
    };
    // A single-line input even for longer text: Leptos renders <textarea> children unescaped on
    // the server, which would let a stored description break out of the element.
    view! {
        <Field field id=id.clone() label hint>
            <input
                id=id
                type="text"
                name=name
                value=initial
                prop:value=value
                placeholder=placeholder
                aria-invalid=invalid(s, field)
                on:input=on_input
            />
        </Field>
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
    let (initial, value) = bound(s, get);
    view! {
        <Field field id=id.clone() label hint>
            <input
                id=id
                type="number"
                inputmode="numeric"
                name=name
                value=initial.to_string()
                prop:value=move || value().to_string()
                min=min.to_string()
                aria-invalid=invalid(s, field)
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    match v.trim().parse::<u64>() {
                        Ok(n) => accept(s, field, set, n),
                        Err(_) => s.set_error(field, format!("{label} must be a whole number.")),
                    }
                }
            />
        </Field>
    }
}

/// A [`CheckField`] for the flag `config.<field>`, whose form field and error field are both named
/// `<field>`: `config_check!("Watchdog", watchdog)`, `config_check!("Stateless", stateless, hint = "…")`.
/// Needs `CheckField` and `view!` in scope.
macro_rules! config_check {
    ($label:literal, $field:ident $(, hint = $hint:literal)?) => {
        view! {
            <CheckField label=$label name=stringify!($field) field=stringify!($field)
                get=|d| d.config.$field set=|d, v| d.config.$field = v $(hint=$hint)? />
        }
    };
}
pub(super) use config_check;

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
    let (initial, value) = bound(s, get);
    let label_for = id.clone();
    view! {
        <div class="field check-field" data-field=field>
            <label class="check" for=label_for>
                <input
                    id=id
                    type="checkbox"
                    name=name
                    value="on"
                    checked=initial
                    prop:checked=value
                    on:change=move |ev| accept(s, field, set, event_target_checked(&ev))
                />
                {label}
            </label>
            {hint_text(hint)}
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

/// A [`SelectField`] for the enum setting `config.<field>` (a `string_enum!`), whose form field and
/// error field are both named `<field>`, offering every value: `config_select!("Migration Mode",
/// migration, MigrationMode)`. Needs `SelectField`, `enum_choices`, `pick_parsed` and `view!` in scope.
macro_rules! config_select {
    ($label:literal, $field:ident, $enum:ident) => {
        view! {
            <SelectField label=$label name=stringify!($field) field=stringify!($field)
                choices=enum_choices(&$enum::ALL, $enum::as_str, $enum::label)
                get=|d| d.config.$field.as_str().to_string()
                on_pick=pick_parsed($enum::parse, |d, v| d.config.$field = v) />
        }
    };
}
pub(super) use config_select;

/// The choices of an enum setting: every value, labelled.
pub fn enum_choices<E: Copy>(all: &[E], value: fn(E) -> &'static str, label: fn(E) -> &'static str) -> Vec<Choice> {
    all.iter().map(|&e| Choice::new(value(e), label(e))).collect()
}

/// `on_pick` of an enum setting: a value that parses goes into the draft.
pub fn pick_parsed<E: 'static>(parse: fn(&str) -> Option<E>, set: fn(&mut VmDraft, E)) -> Callback<String> {
    let s = state();
    Callback::new(move |v: String| {
        if let Some(e) = parse(&v) {
            s.draft.update(|d| set(d, e));
        }
    })
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
    let (initial, value) = bound(s, get);
    let reasons = move || {
        choices
            .get()
            .into_iter()
            .filter_map(|c| c.disabled.map(|r| (c.label, r)))
            .map(|(label, reason)| {
                view! {
                    <p class="hint gate-reason" data-choice=label.clone()>
                        {format!("{label}: {reason}")}
                    </p>
                }
            })
            .collect_view()
    };
    view! {
        <Field field id=id.clone() label hint>
            <select
                id=id
                name=name
                prop:value=value
                aria-invalid=invalid(s, field)
                on:change=move |ev| {
                    s.clear_error(field);
                    on_pick.run(event_target_value(&ev));
                }
            >
                {move || {
                    let initial = initial.clone();
                    choices
                        .get()
                        .into_iter()
                        .map(|c| {
                            let selected = c.value == initial;
                            view! {
                                <option value=c.value.clone() selected=selected disabled=c.disabled.is_some()>
                                    {c.label}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            {reasons}
        </Field>
    }
}
