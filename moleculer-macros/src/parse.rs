//! `impl` block → the service's handlers: strips the helper attributes and checks each
//! method's shape, recording every problem in the `Ctxt`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericArgument, ImplItem, ImplItemFn, ItemImpl, PathArguments, Type};

use crate::attr::{
    ActionArgs, EventArgs, HookArgs, HookKind, ParamsArg, parse_action_args, parse_event_args,
    parse_hook_args,
};
use crate::ctxt::Ctxt;

pub(crate) enum Kind {
    Action(ActionArgs),
    Event(EventArgs),
    Hook(HookArgs),
    Created,
    Started,
    Stopped,
}

impl Kind {
    fn attr_name(&self) -> &'static str {
        match self {
            Kind::Action(_) => "#[action]",
            Kind::Event(_) => "#[event]",
            Kind::Hook(_) => "#[hook]",
            Kind::Created => "#[created]",
            Kind::Started => "#[started]",
            Kind::Stopped => "#[stopped]",
        }
    }
}

pub(crate) struct Handler {
    pub(crate) kind: Kind,
    pub(crate) ident: syn::Ident,
    /// The context argument's type (`Context<P>`, `EventContext<P>`), if the method takes one.
    pub(crate) ctx_ty: Option<Type>,
    /// Whether a lifecycle method takes `&ServiceBroker`.
    pub(crate) takes_broker: bool,
    /// The published name (action raw name or event pattern).
    pub(crate) name: String,
    pub(crate) span: Span,
    /// The return type, if written (type errors about the result point at it).
    pub(crate) ret_ty: Option<Type>,
}

impl Handler {
    /// The params type `P` of `Context<P>`, if written.
    pub(crate) fn ctx_params(&self) -> Option<&Type> {
        let Some(Type::Path(path)) = &self.ctx_ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
    }
}

const HELPERS: [&str; 6] = ["action", "event", "hook", "created", "started", "stopped"];

fn helper_name(attr: &Attribute) -> Option<&'static str> {
    let last = attr.path().segments.last()?.ident.to_string();
    HELPERS.iter().copied().find(|h| *h == last)
}

/// Removes the helper attributes from every method and returns the handlers found.
/// With `has_mixins`, hooks may name actions the mixins bring, which can't be seen here.
pub(crate) fn collect_handlers(item: &mut ItemImpl, has_mixins: bool, cx: &Ctxt) -> Vec<Handler> {
    let mut handlers = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let mut kinds = Vec::new();
        method.attrs.retain(|attr| match helper_name(attr) {
            Some(name) => {
                kinds.push((name, attr.clone()));
                false
            }
            None => true,
        });
        if kinds.len() > 1 {
            cx.push(syn::Error::new_spanned(&kinds[1].1, "a method can have only one of `#[action]`, `#[event]`, `#[hook]`, `#[created]`, `#[started]`, `#[stopped]`"));
        }
        let Some((name, attr)) = kinds.into_iter().next() else {
            continue;
        };
        let args = attr_args(&attr);
        let kind = match name {
            "action" => Kind::Action(parse_action_args(args, cx)),
            "event" => Kind::Event(parse_event_args(args, cx)),
            "hook" => match parse_hook_args(args, attr.span(), cx) {
                Some(args) => Kind::Hook(args),
                None => continue,
            },
            other => {
                if !args.is_empty() {
                    cx.push(syn::Error::new_spanned(
                        &attr,
                        format!("`#[{other}]` takes no arguments"),
                    ));
                }
                match other {
                    "created" => Kind::Created,
                    "started" => Kind::Started,
                    _ => Kind::Stopped,
                }
            }
        };
        if let Some(handler) = check_method(method, kind, cx) {
            handlers.push(handler);
        }
    }
    check_duplicates(&handlers, cx);
    if !has_mixins {
        check_hook_names(&handlers, cx);
    }
    handlers
}

/// The arguments a hook takes after `&self`: `ctx: &mut Context` for `before`, `ctx: &Context`
/// and the result (`Payload`) or the error (`Error`) for `after` and `error`.
fn hook_args(rest: &[&FnArg], kind: HookKind, name: Span, cx: &Ctxt) {
    let expected = match kind {
        HookKind::Before => "`ctx: &mut Context`",
        HookKind::After => "`ctx: &Context` and `res: Payload`",
        HookKind::Error => "`ctx: &Context` and `err: Error`",
    };
    let count = if kind == HookKind::Before { 1 } else { 2 };
    if rest.len() != count {
        let span = rest.get(count).map_or(name, |a| a.span());
        cx.error(
            span,
            format!(
                "`#[hook({} = ...)]` methods take `&self`, then {expected}",
                kind.key()
            ),
        );
        return;
    }
    let FnArg::Typed(ctx) = rest[0] else { return };
    let wants_mut = kind == HookKind::Before;
    let ok = matches!(&*ctx.ty, Type::Reference(r) if r.mutability.is_some() == wants_mut
        && last_segment(&r.elem).as_deref() == Some("Context"));
    if !ok {
        cx.push(syn::Error::new_spanned(
            &ctx.ty,
            format!(
                "the context of a `{}` hook is {}, found `{}`",
                kind.key(),
                if wants_mut {
                    "`&mut Context`"
                } else {
                    "`&Context`"
                },
                type_text(&ctx.ty)
            ),
        ));
    }
}

/// A hook's plain action names (no wildcard) must name actions of the service.
fn check_hook_names(handlers: &[Handler], cx: &Ctxt) {
    let actions: Vec<&str> = handlers
        .iter()
        .filter(|h| matches!(h.kind, Kind::Action(_)))
        .map(|h| h.name.as_str())
        .collect();
    for h in handlers {
        let Kind::Hook(args) = &h.kind else { continue };
        for lit in &args.names {
            let value = lit.value();
            for name in value.split('|').map(str::trim) {
                if name.is_empty() {
                    cx.error(lit.span(), "empty action name in a hook");
                } else if !name.contains(['*', '?']) && !actions.contains(&name) {
                    let known = if actions.is_empty() {
                        "the service has no actions".to_owned()
                    } else {
                        format!("its actions: {}", actions.join(", "))
                    };
                    cx.error(
                        lit.span(),
                        format!("the hook names `{name}`, which is not an action of this service ({known})"),
                    );
                }
            }
        }
    }
}

fn attr_args(attr: &Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    }
}

fn check_method(method: &ImplItemFn, kind: Kind, cx: &Ctxt) -> Option<Handler> {
    let sig = &method.sig;
    let what = kind.attr_name();
    let wants_async = !matches!(kind, Kind::Created);
    match (&sig.asyncness, wants_async) {
        (None, true) => cx.error(sig.fn_token.span(), format!("`{what}` methods must be `async fn`")),
        (Some(a), false) => cx.error(a.span(), "`#[created]` methods must not be `async` (they run synchronously when the service is added)"),
        _ => {}
    }
    if !sig.generics.params.is_empty() {
        cx.push(syn::Error::new_spanned(
            &sig.generics,
            format!("`{what}` methods can't be generic"),
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        Some(FnArg::Receiver(r)) if r.mutability.is_some() && r.reference.is_some() => cx.push(syn::Error::new_spanned(
            r,
            format!("`{what}` methods take `&self`, not `&mut self`: calls run concurrently, so keep mutable state behind a lock or an atomic"),
        )),
        Some(FnArg::Receiver(r)) => cx.push(syn::Error::new_spanned(r, format!("`{what}` methods take `&self`"))),
        _ => cx.error(sig.ident.span(), format!("`{what}` methods take `&self` as their first argument")),
    }
    let rest: Vec<&FnArg> = inputs.collect();
    let (ctx_ty, takes_broker) = match &kind {
        Kind::Action(_) => (context_arg(&rest, "Context", what, cx), false),
        Kind::Event(_) => (context_arg(&rest, "EventContext", what, cx), false),
        Kind::Hook(args) => {
            hook_args(&rest, args.kind, sig.ident.span(), cx);
            (None, false)
        }
        _ => (None, broker_arg(&rest, what, cx)),
    };
    let name = match &kind {
        Kind::Action(args) => args.name.as_ref().map(|n| n.value()),
        Kind::Event(args) => args.name.as_ref().map(|n| n.value()),
        _ => None,
    }
    .unwrap_or_else(|| sig.ident.to_string().trim_start_matches("r#").to_owned());
    check_names(&kind, &name, cx);
    Some(Handler {
        kind,
        ident: sig.ident.clone(),
        ctx_ty,
        takes_broker,
        name,
        span: sig.ident.span(),
        ret_ty: match &sig.output {
            syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
            syn::ReturnType::Default => None,
        },
    })
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn context_arg(rest: &[&FnArg], expected: &str, what: &str, cx: &Ctxt) -> Option<Type> {
    for extra in rest.iter().skip(1) {
        cx.push(syn::Error::new_spanned(
            extra,
            format!("`{what}` methods take at most one argument: `ctx: {expected}<P>`"),
        ));
    }
    let FnArg::Typed(arg) = rest.first()? else {
        return None;
    };
    if last_segment(&arg.ty).as_deref() != Some(expected) {
        cx.push(syn::Error::new_spanned(
            &arg.ty,
            format!("the argument of `{what}` methods must be `{expected}` or `{expected}<P>`, found `{}`", type_text(&arg.ty)),
        ));
        return None;
    }
    Some((*arg.ty).clone())
}

/// A type as the user would write it (`serde_json::Value`, not `serde_json :: Value`).
fn type_text(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
}

fn broker_arg(rest: &[&FnArg], what: &str, cx: &Ctxt) -> bool {
    for extra in rest.iter().skip(1) {
        cx.push(syn::Error::new_spanned(
            extra,
            format!("`{what}` methods take at most one argument: `&ServiceBroker`"),
        ));
    }
    let Some(FnArg::Typed(arg)) = rest.first() else {
        return false;
    };
    let ok = matches!(&*arg.ty, Type::Reference(r) if r.mutability.is_none() && last_segment(&r.elem).as_deref() == Some("ServiceBroker"));
    if !ok {
        cx.push(syn::Error::new_spanned(
            &arg.ty,
            format!(
                "the argument of `{what}` methods must be `&ServiceBroker`, found `{}`",
                type_text(&arg.ty)
            ),
        ));
    }
    ok
}

fn check_names(kind: &Kind, name: &str, cx: &Ctxt) {
    match kind {
        Kind::Action(args) => {
            let span = args
                .name
                .as_ref()
                .map_or_else(Span::call_site, |n| n.span());
            if name.is_empty() || name.contains(char::is_whitespace) {
                cx.error(span, "action names can't be empty or contain white space");
            }
            if let Some(ParamsArg::Schema(schema)) = &args.params {
                check_schema(schema, cx);
            }
        }
        Kind::Event(args) => {
            let span = args
                .name
                .as_ref()
                .map_or_else(Span::call_site, |n| n.span());
            if name.is_empty() || name.contains(char::is_whitespace) || name.contains("***") {
                cx.error(span, format!("`{name}` is not a valid event pattern: use names with `.`, `*` (one segment), `**` (any) and `?` (one character)"));
            }
            if let Some(group) = &args.group
                && group.value().is_empty()
            {
                cx.error(group.span(), "event groups can't be empty");
            }
            if let Some(ParamsArg::Schema(schema)) = &args.params {
                check_schema(schema, cx);
            }
        }
        _ => {}
    }
}

/// Checks an inline params schema with the fastest-validator rules the runtime uses.
fn check_schema(schema: &crate::json::Json, cx: &Ctxt) {
    if schema.as_object().is_none() {
        cx.error(
            schema.span,
            "a params schema is an object: `{ field: \"rule\", ... }`",
        );
        return;
    }
    for issue in moleculer_rules::check_schema(&schema.to_schema_value()) {
        cx.error(
            schema.span_at(&issue.path, issue.message.starts_with("unknown option")),
            format!("invalid params schema: {}", issue.message),
        );
    }
}

/// Where an action's name is written: its `name = "..."`, or else the method's name.
fn name_span(h: &Handler) -> Span {
    match &h.kind {
        Kind::Action(args) => args.name.as_ref().map_or(h.span, |n| n.span()),
        _ => h.span,
    }
}

fn check_duplicates(handlers: &[Handler], cx: &Ctxt) {
    for (i, h) in handlers.iter().enumerate() {
        if !matches!(h.kind, Kind::Action(_)) {
            continue;
        }
        let first = handlers[..i]
            .iter()
            .find(|o| matches!(o.kind, Kind::Action(_)) && o.name == h.name);
        if let Some(first) = first {
            let mut err =
                syn::Error::new(name_span(h), format!("duplicate action name `{}`", h.name));
            err.combine(syn::Error::new(
                name_span(first),
                format!("action `{}` first defined here", h.name),
            ));
            cx.push(err);
        }
    }
}
