//! Collects every error of one expansion, so one build reports all of them.

use std::cell::RefCell;

use proc_macro2::TokenStream;

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    pub(crate) fn push(&self, err: syn::Error) {
        self.errors.borrow_mut().push(err);
    }

    pub(crate) fn error(&self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// How many errors were recorded so far.
    pub(crate) fn count(&self) -> usize {
        self.errors.borrow().len()
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// All errors as `compile_error!` invocations.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_inner()
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}
