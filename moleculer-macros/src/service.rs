//! `#[service]`: parse, check, generate; on errors, the cleaned item plus every error.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ItemImpl;

use crate::attr::parse_service_args;
use crate::codegen::{ServiceGenerator, default_name};
use crate::ctxt::Ctxt;
use crate::parse::collect_handlers;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: ItemImpl = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                "`#[service]` goes on an inherent `impl` block: `#[service] impl MyService { ... }`",
            )
            .to_compile_error();
            return quote!(#item #err);
        }
    };
    let cx = Ctxt::default();
    if let Some((_, path, _)) = &item.trait_ {
        cx.error(
            syn::spanned::Spanned::span(path),
            "`#[service]` goes on an inherent `impl` block, not a trait impl",
        );
    }
    let args = parse_service_args(args, &cx);
    let handlers = collect_handlers(&mut item, !args.mixins.is_empty(), &cx);
    let name = match (&args.name, default_name(&item.self_ty)) {
        (Some(name), _) => name.value(),
        (None, Some((name, _))) => name,
        (None, None) => {
            cx.error(
                Span::call_site(),
                "name the service: `#[service(name = \"...\")]`",
            );
            String::new()
        }
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        let span = args
            .name
            .as_ref()
            .map_or_else(Span::call_site, |n| n.span());
        cx.error(span, "service names can't be empty or contain white space");
    }
    if let Some(version @ crate::attr::VersionArg::Number(n)) = &args.version
        && n.base10_parse::<i64>().is_err()
    {
        cx.error(
            crate::attr::version_span(version),
            "versions are integers or strings",
        );
    }
    if cx.has_errors() {
        let errors = cx.into_compile_errors();
        return quote!(#item #errors);
    }
    let generated = ServiceGenerator {
        args: &args,
        item: &item,
        handlers: &handlers,
        name,
    }
    .generate();
    let out = quote!(#item #generated);
    if std::env::var_os("MOLECULER_MACROS_DEBUG").is_some() {
        eprintln!("{out}");
    }
    out
}

/// `#[action]` or `#[event]` outside a `#[service]` impl block.
pub(crate) fn orphan(which: &str, item: TokenStream) -> TokenStream {
    let message =
        format!("`#[{which}]` only works on methods of an `impl` block marked `#[service]`");
    let err = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#item #err)
}
