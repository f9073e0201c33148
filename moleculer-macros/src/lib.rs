//! Attribute macros for the `moleculer` crate. Use them through `moleculer` (`use
//! moleculer::prelude::*`); this crate is not meant to be a direct dependency.

#![forbid(unsafe_code)]

mod attr;
mod codegen;
mod ctxt;
mod json;
mod parse;
mod service;

use proc_macro::TokenStream;

/// Turns an `impl` block into a Moleculer service. See the `moleculer` crate's docs.
#[proc_macro_attribute]
pub fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    service::expand(args.into(), item.into()).into()
}

/// Marks a method of a `#[service]` impl block as an action.
#[proc_macro_attribute]
pub fn action(_args: TokenStream, item: TokenStream) -> TokenStream {
    service::orphan("action", item.into()).into()
}

/// Marks a method of a `#[service]` impl block as an event handler.
#[proc_macro_attribute]
pub fn event(_args: TokenStream, item: TokenStream) -> TokenStream {
    service::orphan("event", item.into()).into()
}

/// Marks a method of a `#[service]` impl block as an action hook.
#[proc_macro_attribute]
pub fn hook(_args: TokenStream, item: TokenStream) -> TokenStream {
    service::orphan("hook", item.into()).into()
}
