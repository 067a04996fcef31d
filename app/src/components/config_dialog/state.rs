//! The dialog's shared state, provided as context to its tabs and field widgets.

use crate::domain::draft::{NewDisk, VmDraft};
use crate::domain::fields::{tab_of, DialogTab};
use crate::domain::profile::Change;
use crate::domain::recommendations::Recommendation;
use crate::domain::rule_context::RuleContext;
use crate::error::{AppError, FieldError};
use crate::models::DialogOptions;
use leptos::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Copy)]
pub struct DialogState {
    pub draft: RwSignal<VmDraft>,
    pub options: RwSignal<DialogOptions>,
    pub ctx: RwSignal<Option<RuleContext>>,
    /// What the last profile / instance type / template change did.
    pub changes: RwSignal<Vec<Change>>,
    pub errors: RwSignal<Vec<FieldError>>,
    /// A problem that is not about one field (conflict, host error).
    pub notice: RwSignal<Option<AppError>>,
    /// Open recommendations review, when OK found unmet recommendations.
    pub review: RwSignal<Option<Vec<Recommendation>>>,
    pub tab: RwSignal<DialogTab>,
    pub busy: RwSignal<bool>,
    /// The VM is running: restart-needing changes wait for the next start.
    pub running: StoredValue<bool>,
    pub pending_next_run: StoredValue<Vec<String>>,
    /// The boot disk block's disk, kept while "Create boot disk" is off (so its id and values come
    /// back when it is ticked again); `None` when the dialog offers no boot disk.
    pub spare_disk: RwSignal<Option<NewDisk>>,
}

impl DialogState {
    pub fn field_errors(&self, field: &'static str) -> Vec<String> {
        self.errors.with(|e| {
            e.iter()
                .filter(|x| {
                    x.field == field
                        || x.field.starts_with(&format!("{field}."))
                        || x.field.starts_with(&format!("{field}["))
                })
                .map(|x| x.message.clone())
                .collect()
        })
    }

    pub fn clear_error(&self, field: &'static str) {
        self.errors.update(|e| e.retain(|x| x.field != field));
    }

    pub fn set_error(&self, field: &'static str, message: String) {
        self.errors.update(|e| {
            e.retain(|x| x.field != field);
            e.push(FieldError::new(field, message));
        });
    }

    /// Tabs holding at least one error.
    pub fn tabs_with_errors(&self) -> BTreeSet<DialogTab> {
        self.errors.with(|e| e.iter().map(|x| tab_of(&x.field)).collect())
    }
}
