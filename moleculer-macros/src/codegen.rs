//! Tokens for `#[service]`: the `ServiceDef` impl and the link-time registration.
//!
//! Generated code is a thin shim: each handler becomes a non-capturing closure that calls the
//! user's method and boxes its future; conversion, validation and registration logic live in
//! the runtime crate. Every path is absolute (`::moleculer::__private`, `::core`, `::std`), so
//! a user's `type Result = ...` or `#![no_implicit_prelude]` can't break it.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, Type};

use crate::attr::{HookArgs, HookKind, ParamsArg, Register, ServiceArgs, VersionArg};
use crate::parse::{Handler, Kind};

pub(crate) struct ServiceGenerator<'a> {
    pub(crate) args: &'a ServiceArgs,
    pub(crate) item: &'a ItemImpl,
    pub(crate) handlers: &'a [Handler],
    pub(crate) name: String,
}

impl ServiceGenerator<'_> {
    fn private(&self) -> TokenStream {
        match &self.args.krate {
            Some(path) => quote!(#path::__private),
            None => quote!(::moleculer::__private),
        }
    }

    pub(crate) fn generate(&self) -> TokenStream {
        let m = self.private();
        let self_ty = &self.item.self_ty;
        let (impl_generics, _, where_clause) = self.item.generics.split_for_impl();
        let spec = self.spec_body();
        let registration = self.registration();
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
            const _: () = {
                impl #impl_generics #m::ServiceDef for #self_ty #where_clause {
                    fn spec() -> #m::ServiceSpec<Self> {
                        #spec
                    }
                }
                #registration
            };
        }
    }

    fn spec_body(&self) -> TokenStream {
        let m = self.private();
        let name = &self.name;
        let mut calls = Vec::new();
        if let Some(version) = &self.args.version {
            calls.push(match version {
                VersionArg::Number(n) => quote!(.version(#m::Version::Number(#n))),
                VersionArg::String(s) => {
                    quote!(.version(#m::Version::String(::std::string::String::from(#s))))
                }
            });
        }
        if let Some(settings) = &self.args.settings {
            let text = settings.to_json_text();
            calls.push(quote!(.settings(#m::json(#text))));
        }
        if let Some(metadata) = &self.args.metadata {
            let text = metadata.to_json_text();
            calls.push(quote!(.metadata(#m::json(#text))));
        }
        for dep in &self.args.dependencies {
            calls.push(quote!(.dependency(#dep)));
        }
        for handler in self.handlers {
            calls.push(self.handler(handler));
        }
        // After the service's own definitions, which take priority, in the order listed.
        for mixin in &self.args.mixins {
            let span = mixin.span();
            let instance = quote_spanned!(span=> #m::mixin_instance::<#mixin>());
            calls.push(quote_spanned!(span=> .mixin(#instance)));
        }
        quote!(#m::ServiceSpec::<Self>::new(#name) #(#calls)*)
    }

    fn handler(&self, h: &Handler) -> TokenStream {
        let m = self.private();
        match &h.kind {
            Kind::Action(args) => {
                let spec = self.callable(
                    h,
                    args.params.as_ref(),
                    quote!(ActionSpec),
                    quote!(Context),
                    quote!(IntoActionResult::into_action_result),
                );
                let mut extra = Vec::new();
                if let Some(v) = &args.visibility {
                    let variant = syn::Ident::new(&capitalize(&v.value()), v.span());
                    extra.push(quote!(.visibility(#m::Visibility::#variant)));
                }
                if let Some(t) = &args.timeout {
                    extra.push(quote!(.timeout(::core::time::Duration::from_millis(#t))));
                }
                if let Some(rest) = &args.rest {
                    let text = rest.to_json_text();
                    extra.push(quote!(.extra("rest", #m::json(#text))));
                }
                for (kind, method) in &args.hooks {
                    let closure = hook_closure(&m, *kind, method, plain_call);
                    let add = syn::Ident::new(kind.key(), method.span());
                    extra.push(quote_spanned!(method.span()=> .#add(#closure)));
                }
                if let Some(method) = &args.fallback {
                    let closure = hook_closure(&m, HookKind::Error, method, plain_call);
                    extra.push(quote_spanned!(method.span()=> .fallback(#closure)));
                }
                for (key, value) in &args.published {
                    let text = value.to_json_text();
                    extra.push(quote!(.extra(#key, #m::json(#text))));
                }
                if let Some(method) = &args.cache_condition {
                    extra.push(quote_spanned!(method.span()=>
                        .cache_condition(|__svc: &Self, __ctx: &#m::Context<#m::Payload>| __svc.#method(__ctx))));
                }
                if let Some(method) = &args.cache_keygen {
                    extra.push(quote_spanned!(method.span()=>
                        .cache_keygen(|__svc: &Self, __request: &#m::KeyRequest<'_>| __svc.#method(__request))));
                }
                quote!(.action(#spec #(#extra)*))
            }
            Kind::Event(args) => {
                let spec = self.callable(
                    h,
                    args.params.as_ref(),
                    quote!(EventSpec),
                    quote!(EventContext),
                    quote!(IntoEventResult::into_event_result),
                );
                let group = args.group.as_ref().map(|g| quote!(.group(#g)));
                let millis = |method: &str, lit: &Option<syn::LitInt>| {
                    lit.as_ref().map(|ms| {
                        let method = syn::Ident::new(method, ms.span());
                        quote!(.#method(::core::time::Duration::from_millis(#ms)))
                    })
                };
                let debounce = millis("debounce", &args.debounce);
                let throttle = millis("throttle", &args.throttle);
                let extra = args.published.iter().map(|(key, value)| {
                    let text = value.to_json_text();
                    quote!(.extra(#key, #m::json(#text)))
                });
                quote!(.event(#spec #group #debounce #throttle #(#extra)*))
            }
            Kind::Hook(args) => self.hook(h, args),
            Kind::Created => {
                let ident = &h.ident;
                let call = if h.takes_broker {
                    quote!(__svc.#ident(__broker))
                } else {
                    quote!(__svc.#ident())
                };
                let convert = convert_result(
                    h,
                    quote!(#m::IntoLifecycleResult::into_lifecycle_result),
                    call,
                );
                quote_spanned! {h.span=>
                    .created(|__svc: &Self, __broker: &#m::ServiceBroker| {
                        let _ = __broker;
                        #convert
                    })
                }
            }
            Kind::Started | Kind::Stopped => {
                let ident = &h.ident;
                let method = if matches!(h.kind, Kind::Started) {
                    quote!(started)
                } else {
                    quote!(stopped)
                };
                let call = if h.takes_broker {
                    quote!(__svc.#ident(&__broker))
                } else {
                    quote!(__svc.#ident())
                };
                let convert = convert_result(
                    h,
                    quote!(#m::IntoLifecycleResult::into_lifecycle_result),
                    quote!(#call.await),
                );
                quote_spanned! {h.span=>
                    .#method(|__svc: ::std::sync::Arc<Self>, __broker: #m::ServiceBroker| {
                        #m::boxed(async move {
                            let _ = &__broker;
                            #convert
                        })
                    })
                }
            }
        }
    }

    /// `.before_hook("a|b", |svc, ctx| ...)` and its `after`/`error` twins.
    fn hook(&self, h: &Handler, args: &HookArgs) -> TokenStream {
        let m = self.private();
        let names = args
            .names
            .iter()
            .map(syn::LitStr::value)
            .collect::<Vec<_>>()
            .join("|");
        // Result type errors point at the method's return type.
        let closure = hook_closure(&m, args.kind, &h.ident, |path, call| {
            convert_result(h, path, call)
        });
        let add = syn::Ident::new(&format!("{}_hook", args.kind.key()), h.span);
        quote_spanned!(h.span=> .#add(#names, #closure))
    }

    /// `ActionSpec::validated::<P>(name, |svc, ctx| ...)` and its event twin.
    fn callable(
        &self,
        h: &Handler,
        params: Option<&ParamsArg>,
        spec: TokenStream,
        ctx: TokenStream,
        convert: TokenStream,
    ) -> TokenStream {
        let m = self.private();
        let ident = &h.ident;
        let name = &h.name;
        let params_ty: TokenStream = match (params, h.ctx_params()) {
            (Some(ParamsArg::Type(t)), _) => quote!(#t),
            (_, Some(t)) => quote!(#t),
            _ => quote!(#m::serde_json::Value),
        };
        let call = match &h.ctx_ty {
            Some(ctx_ty) => {
                // A params type that differs from `ctx`'s is reported at `ctx`'s type.
                let arg = located_at(quote!(__ctx), ctx_ty);
                quote!(__svc.#ident(#arg))
            }
            None => quote!({ let _ = __ctx; __svc.#ident() }),
        };
        let convert = convert_result(h, quote!(#m::#convert), quote!(#call.await));
        let closure = quote_spanned! {h.span=>
            |__svc: ::std::sync::Arc<Self>, __ctx: #m::#ctx<#params_ty>| {
                #m::boxed(async move { #convert })
            }
        };
        match params {
            Some(ParamsArg::Type(t)) => {
                let span = t.span();
                let ctor = quote_spanned!(span=> #m::#spec::validated::<#t>);
                quote!(#ctor(#name, #closure))
            }
            Some(ParamsArg::Schema(schema)) => {
                let text = schema.to_json_text();
                quote!(#m::#spec::with_schema::<#params_ty>(#name, #text, #closure))
            }
            None => quote!(#m::#spec::new::<#params_ty>(#name, #closure)),
        }
    }

    fn registration(&self) -> TokenStream {
        let m = self.private();
        let self_ty = &self.item.self_ty;
        let name = &self.name;
        let register_fn = match &self.args.register {
            Some(Register::Off) => return TokenStream::new(),
            _ if !self.item.generics.params.is_empty() => return TokenStream::new(),
            Some(Register::Constructor(ctor)) => quote! {
                ::core::option::Option::Some(broker.add_service(#ctor()))
            },
            Some(Register::Default) | None => quote! {
                #[allow(unused_imports)]
                use #m::{RegisterDefault as _, RegisterNone as _};
                (&#m::Probe::<#self_ty>::new()).register(broker)
            },
        };
        // `registration!` expands to nothing when the runtime's `inventory` feature is off.
        quote! {
            #m::registration! {
                fn __moleculer_register(
                    broker: &#m::ServiceBroker,
                ) -> ::core::option::Option<#m::Result<()>> {
                    #register_fn
                }
                #m::inventory::submit! {
                    #m::ServiceRegistration::new(
                        #name,
                        ::core::module_path!(),
                        #m::full_name_of::<#self_ty>,
                        __moleculer_register,
                    )
                }
            }
        }
    }
}

/// The closure that calls the hook method `method` (a `before`, `after` or `error` hook, or a
/// fallback, which has an error hook's shape) as the spec's fn pointer types expect:
/// `|svc, ctx[, res or err]| boxed(async move { convert(path, svc.method(..).await) })`, where
/// `path` converts the method's result.
fn hook_closure(
    m: &TokenStream,
    kind: HookKind,
    method: &syn::Ident,
    convert: impl FnOnce(TokenStream, TokenStream) -> TokenStream,
) -> TokenStream {
    let (args, call, path) = match kind {
        HookKind::Before => (
            quote!(__svc: &Self, __ctx: &mut #m::Context<#m::Payload>),
            quote!(__svc.#method(__ctx).await),
            quote!(#m::IntoHookResult::into_hook_result),
        ),
        HookKind::After => (
            quote!(__svc: &Self, __ctx: &#m::Context<#m::Payload>, __value: #m::Payload),
            quote!(__svc.#method(__ctx, __value).await),
            quote!(#m::IntoActionResult::into_action_result),
        ),
        HookKind::Error => (
            quote!(__svc: &Self, __ctx: &#m::Context<#m::Payload>, __value: #m::Error),
            quote!(__svc.#method(__ctx, __value).await),
            quote!(#m::IntoActionResult::into_action_result),
        ),
    };
    let body = convert(path, call);
    quote_spanned!(method.span()=> |#args| #m::boxed(async move { #body }))
}

/// `path(call)`.
fn plain_call(path: TokenStream, call: TokenStream) -> TokenStream {
    quote!(#path(#call))
}

/// `path(value)`, converting the method's result, placed at the method's return type (or its
/// name), so an unsupported result type is reported there and not at `#[service]`.
fn convert_result(h: &Handler, path: TokenStream, value: TokenStream) -> TokenStream {
    let target: &dyn ToTokens = match &h.ret_ty {
        Some(ty) => ty,
        None => &h.ident,
    };
    let (start, end) = ends(target);
    // The path is ours: move all of it. The value holds the user's tokens: move its ends only.
    let path = path
        .into_iter()
        .enumerate()
        .map(|(i, token)| locate(token, if i == 0 { start } else { end }));
    let value = Group::new(Delimiter::Parenthesis, located_at(value, target));
    let args = locate(TokenTree::Group(value), end);
    path.chain(std::iter::once(args)).collect()
}

/// `tokens` with their first token placed at `target`'s first token and their last at its
/// last, keeping their own hygiene: rustc then underlines all of `target` when the expression
/// does not type-check. Tokens in between keep their spans.
fn located_at(tokens: TokenStream, target: &(impl ToTokens + ?Sized)) -> TokenStream {
    let (start, end) = ends(target);
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let last = tokens.len().saturating_sub(1);
    tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| match i {
            0 => locate(token, start),
            i if i == last => locate(token, end),
            _ => token,
        })
        .collect()
}

/// The spans of `target`'s first and last tokens.
fn ends(target: &(impl ToTokens + ?Sized)) -> (Span, Span) {
    let mut tokens = target.to_token_stream().into_iter();
    let start = tokens.next().map_or_else(Span::call_site, |t| t.span());
    let end = tokens.last().map_or(start, |t| t.span());
    (start, end)
}

/// `token` shown at `at`, resolved as before.
fn locate(mut token: TokenTree, at: Span) -> TokenTree {
    token.set_span(token.span().located_at(at));
    token
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The default service name: the type's name with a lowercase first letter.
pub(crate) fn default_name(ty: &Type) -> Option<(String, Span)> {
    let Type::Path(p) = ty else { return None };
    let ident = &p.path.segments.last()?.ident;
    let s = ident.to_string();
    let mut chars = s.chars();
    let first = chars.next()?.to_lowercase().collect::<String>();
    Some((first + chars.as_str(), ident.span()))
}
