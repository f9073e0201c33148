//! The grammar of `#[service(...)]`, `#[action(...)]` and `#[event(...)]`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{LitInt, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::json::{Json, JsonValue, parse_meta_object};

/// A service version: `version = 2` or `version = "staging"`.
pub(crate) enum VersionArg {
    Number(LitInt),
    String(LitStr),
}

/// How the service registers itself for `with_registered_services()`.
pub(crate) enum Register {
    /// With `Default`, if the type implements it.
    Default,
    /// Not at all (`register = false`).
    Off,
    /// With this constructor (`register = "Math::new"`).
    Constructor(syn::Path),
}

#[derive(Default)]
pub(crate) struct ServiceArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) version: Option<VersionArg>,
    pub(crate) settings: Option<Json>,
    pub(crate) metadata: Option<Json>,
    pub(crate) dependencies: Vec<LitStr>,
    /// Other `#[service]` types composed into this one, in priority order.
    pub(crate) mixins: Vec<syn::Path>,
    pub(crate) krate: Option<syn::Path>,
    pub(crate) register: Option<Register>,
}

/// `params = Type` or `params = { field: "rule", ... }`.
pub(crate) enum ParamsArg {
    Type(syn::Type),
    Schema(Json),
}

#[derive(Default)]
pub(crate) struct ActionArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) params: Option<ParamsArg>,
    pub(crate) visibility: Option<LitStr>,
    pub(crate) timeout: Option<LitInt>,
    pub(crate) rest: Option<Json>,
    /// The method that turns a failure into a result: `fallback = "cached"`.
    pub(crate) fallback: Option<syn::Ident>,
    /// The action's own hooks: `hooks(before = "check", after = ["a", "b"])`, methods of the
    /// impl block, by kind, in order.
    pub(crate) hooks: Vec<(HookKind, syn::Ident)>,
    /// Published keys given as JSON-like literals: `(published name, value)`, such as
    /// `("bulkhead", {...})` or `("retryPolicy", {...})`.
    pub(crate) published: Vec<(&'static str, Json)>,
    /// `cache = { enabled: "cacheable" }`: the method deciding whether a call is cached.
    pub(crate) cache_condition: Option<syn::Ident>,
    /// `cache = { keygen: "cache_key" }`: the method making the action's cache keys.
    pub(crate) cache_keygen: Option<syn::Ident>,
}

#[derive(Default)]
pub(crate) struct EventArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) group: Option<LitStr>,
    pub(crate) params: Option<ParamsArg>,
    /// `debounce = 500`: milliseconds of quiet before the last event of a burst runs.
    pub(crate) debounce: Option<LitInt>,
    /// `throttle = 500`: at most one event per this many milliseconds.
    pub(crate) throttle: Option<LitInt>,
    /// Published keys given as JSON-like literals, such as `("bulkhead", {...})`.
    pub(crate) published: Vec<(&'static str, Json)>,
}

/// Which hook a `#[hook]` method is.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum HookKind {
    Before,
    After,
    Error,
}

impl HookKind {
    pub(crate) fn key(self) -> &'static str {
        match self {
            HookKind::Before => "before",
            HookKind::After => "after",
            HookKind::Error => "error",
        }
    }
}

/// `#[hook(before = "*")]`, `#[hook(after = "get|list")]`, `#[hook(error = ["a", "b*"])]`.
pub(crate) struct HookArgs {
    pub(crate) kind: HookKind,
    /// The action names or patterns, each with its span.
    pub(crate) names: Vec<LitStr>,
}

const SERVICE_KEYS: &str =
    "name, version, settings, metadata, dependencies, mixins, register, crate";
const ACTION_KEYS: &str = "name, params, visibility, timeout, rest, fallback, hooks, cache, bulkhead, retry_policy, circuit_breaker, strategy, strategy_options, tracing";
const EVENT_KEYS: &str =
    "name, group, params, bulkhead, debounce, throttle, strategy, strategy_options, tracing";

/// Records keys seen so far and reports the second of a duplicate.
struct Seen(Vec<String>);

impl Seen {
    fn first(&mut self, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
        if self.0.iter().any(|k| k == key) {
            return Err(meta.error(format!("duplicate key `{key}`")));
        }
        self.0.push(key.to_owned());
        Ok(())
    }
}

fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    path.get_ident()
        .map_or_else(|| quote::quote!(#path).to_string(), ToString::to_string)
}

/// `key = value` or `key(nested...)` as a JSON object.
fn json_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Json> {
    if meta.input.peek(syn::token::Paren) {
        let content;
        let paren = syn::parenthesized!(content in meta.input);
        parse_meta_object(&content, paren.span.join())
    } else {
        meta.value()?.parse()
    }
}

fn params_value(meta: &ParseNestedMeta<'_>) -> syn::Result<ParamsArg> {
    let input = meta.value()?;
    // A literal or a `[...]` that is not a type is a schema written as something other than an
    // object; parse it as one, so the schema check reports that instead of a type parse error.
    let not_a_type = input.peek(syn::Lit)
        || (input.peek(syn::token::Bracket) && input.fork().parse::<syn::Type>().is_err());
    if input.peek(syn::token::Brace) || not_a_type {
        Ok(ParamsArg::Schema(input.parse()?))
    } else {
        Ok(ParamsArg::Type(input.parse()?))
    }
}

fn parse_with(
    tokens: TokenStream,
    cx: &Ctxt,
    mut each: impl FnMut(&ParseNestedMeta<'_>, &str) -> syn::Result<()>,
) {
    let parser = syn::meta::parser(|meta| {
        let key = key_of(&meta);
        each(&meta, &key)
    });
    if let Err(err) = parser.parse2(tokens) {
        cx.push(err);
    }
}

pub(crate) fn parse_service_args(tokens: TokenStream, cx: &Ctxt) -> ServiceArgs {
    let mut args = ServiceArgs::default();
    let mut seen = Seen(Vec::new());
    parse_with(tokens, cx, |meta, key| {
        seen.first(meta, key)?;
        match key {
            "name" => args.name = Some(meta.value()?.parse()?),
            "version" => {
                let input = meta.value()?;
                args.version = Some(if input.peek(LitStr) {
                    VersionArg::String(input.parse()?)
                } else {
                    let span = input.span();
                    VersionArg::Number(input.parse().map_err(|_| {
                        syn::Error::new(span, "versions are integers or strings: `version = 2` or `version = \"staging\"`")
                    })?)
                });
            }
            "settings" => args.settings = Some(json_value(meta)?),
            "metadata" => args.metadata = Some(json_value(meta)?),
            "dependencies" => {
                let content;
                syn::parenthesized!(content in meta.input);
                let list = content.parse_terminated(|i| i.parse::<LitStr>(), Token![,])?;
                args.dependencies = list.into_iter().collect();
            }
            "mixins" => {
                let content;
                syn::parenthesized!(content in meta.input);
                let list = content.parse_terminated(|i| i.parse::<syn::Path>(), Token![,])?;
                for path in list {
                    if args.mixins.iter().any(|p| p == &path) {
                        let name = quote::quote!(#path).to_string().replace(' ', "");
                        return Err(syn::Error::new_spanned(
                            &path,
                            format!("mixin `{name}` is listed twice"),
                        ));
                    }
                    args.mixins.push(path);
                }
            }
            "crate" => {
                let lit: LitStr = meta.value()?.parse()?;
                args.krate = Some(lit.parse()?);
            }
            "register" => {
                let input = meta.value()?;
                args.register = Some(if input.peek(syn::LitBool) {
                    let lit: syn::LitBool = input.parse()?;
                    if lit.value {
                        Register::Default
                    } else {
                        Register::Off
                    }
                } else {
                    let lit: LitStr = input.parse()?;
                    Register::Constructor(lit.parse()?)
                });
            }
            _ => {
                return Err(meta.error(format!(
                    "unknown `#[service]` key `{key}` (expected one of: {SERVICE_KEYS})"
                )));
            }
        }
        Ok(())
    });
    args
}

pub(crate) fn parse_action_args(tokens: TokenStream, cx: &Ctxt) -> ActionArgs {
    let mut args = ActionArgs::default();
    let mut seen = Seen(Vec::new());
    parse_with(tokens, cx, |meta, key| {
        seen.first(meta, key)?;
        match key {
            "name" => args.name = Some(meta.value()?.parse()?),
            "params" => args.params = Some(params_value(meta)?),
            "visibility" => {
                let lit: LitStr = meta.value()?.parse()?;
                if !matches!(
                    lit.value().as_str(),
                    "published" | "public" | "protected" | "private"
                ) {
                    return Err(syn::Error::new(
                        lit.span(),
                        "unknown visibility (expected one of: published, public, protected, private)",
                    ));
                }
                args.visibility = Some(lit);
            }
            "timeout" => args.timeout = Some(millis(meta, "timeout", 3000)?),
            "rest" => args.rest = Some(meta.value()?.parse()?),
            "hooks" => meta.parse_nested_meta(|hook| {
                let key = key_of(&hook);
                let kind = match key.as_str() {
                    "before" => HookKind::Before,
                    "after" => HookKind::After,
                    "error" => HookKind::Error,
                    _ => {
                        return Err(hook.error(format!(
                            "unknown hook `{key}` (expected one of: before, after, error)"
                        )));
                    }
                };
                for lit in string_or_list(&hook)? {
                    args.hooks.push((kind, method_name(&lit, "hooks")?));
                }
                Ok(())
            })?,
            "fallback" => {
                let lit: LitStr = meta.value()?.parse()?;
                args.fallback = Some(method_name(&lit, "fallback")?);
            }
            "cache" => cache(meta, &mut args)?,
            "bulkhead" => args.published.push(section(meta, "bulkhead")?),
            "retry_policy" => args.published.push(section(meta, "retryPolicy")?),
            "circuit_breaker" => args.published.push(section(meta, "circuitBreaker")?),
            "strategy" => args.published.push(strategy(meta)?),
            "strategy_options" => args.published.push(strategy_options(meta)?),
            "tracing" => args.published.push(tracing(meta)?),
            _ => {
                return Err(meta.error(format!(
                    "unknown `#[action]` key `{key}` (expected one of: {ACTION_KEYS})"
                )));
            }
        }
        Ok(())
    });
    args
}

pub(crate) fn parse_event_args(tokens: TokenStream, cx: &Ctxt) -> EventArgs {
    let mut args = EventArgs::default();
    let mut seen = Seen(Vec::new());
    parse_with(tokens, cx, |meta, key| {
        seen.first(meta, key)?;
        match key {
            "name" => args.name = Some(meta.value()?.parse()?),
            "group" => args.group = Some(meta.value()?.parse()?),
            "bulkhead" => args.published.push(section(meta, "bulkhead")?),
            "params" => args.params = Some(params_value(meta)?),
            "debounce" => args.debounce = Some(millis(meta, "debounce", 500)?),
            "throttle" => args.throttle = Some(millis(meta, "throttle", 500)?),
            "strategy" => args.published.push(strategy(meta)?),
            "strategy_options" => args.published.push(strategy_options(meta)?),
            "tracing" => args.published.push(tracing(meta)?),
            _ => {
                return Err(meta.error(format!(
                    "unknown `#[event]` key `{key}` (expected one of: {EVENT_KEYS})"
                )));
            }
        }
        Ok(())
    });
    args
}

/// `tracing = false` or `tracing = { enabled: true, tags: { params: ["id"], meta: true,
/// response: false }, spanName: "load user" }`: the handler's own tracing, published as Node
/// publishes it.
fn tracing(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<(&'static str, Json)> {
    let json: Json = meta.value()?.parse()?;
    let expected = "`tracing` is `true`, `false` or `{ enabled: true, tags: { params: true, meta: [\"user\"], response: false }, spanName: \"name\", safetyTags: false }`";
    match &json.value {
        JsonValue::Bool(_) => return Ok(("tracing", json)),
        JsonValue::Object(_) => {}
        _ => return Err(syn::Error::new(json.span, expected)),
    }
    for (key, key_span, value) in json.as_object().unwrap_or(&[]) {
        let ok = match (key.as_str(), &value.value) {
            ("enabled" | "safetyTags", JsonValue::Bool(_)) => true,
            ("spanName", JsonValue::String(_)) => true,
            ("tags", JsonValue::Object(rules)) => {
                for (rule, rule_span, capture) in rules {
                    if !matches!(rule.as_str(), "params" | "meta" | "response") {
                        return Err(syn::Error::new(
                            *rule_span,
                            format!(
                                "unknown `tracing.tags` key `{rule}` (expected one of: params, meta, response)"
                            ),
                        ));
                    }
                    let fine = match &capture.value {
                        JsonValue::Bool(_) => true,
                        JsonValue::Array(keys) => {
                            keys.iter().all(|k| matches!(k.value, JsonValue::String(_)))
                        }
                        _ => false,
                    };
                    if !fine {
                        return Err(syn::Error::new(
                            capture.span,
                            format!("`tracing.tags.{rule}` is `true`, `false` or a list of keys"),
                        ));
                    }
                }
                true
            }
            ("enabled" | "safetyTags" | "spanName" | "tags", _) => false,
            _ => {
                return Err(syn::Error::new(
                    *key_span,
                    format!(
                        "unknown `tracing` key `{key}` (expected one of: enabled, tags, spanName, safetyTags)"
                    ),
                ));
            }
        };
        if !ok {
            return Err(syn::Error::new(value.span, expected));
        }
    }
    Ok(("tracing", json))
}

/// `strategy = "Shard"`: one of the balancing strategies (any case, as Node reads the name).
fn strategy(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<(&'static str, Json)> {
    const STRATEGIES: [&str; 5] = ["RoundRobin", "Random", "CpuUsage", "Latency", "Shard"];
    let lit: LitStr = meta.value()?.parse()?;
    let name = lit.value();
    if !STRATEGIES.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "unknown strategy `{name}` (expected one of: {})",
                STRATEGIES.join(", ")
            ),
        ));
    }
    let json = Json {
        value: crate::json::JsonValue::String(name),
        span: lit.span(),
    };
    Ok(("strategy", json))
}

/// `strategy_options = { shardKey: "id" }`: an object, checked with the strategy when the
/// service is added.
fn strategy_options(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<(&'static str, Json)> {
    let json: Json = meta.value()?.parse()?;
    if json.as_object().is_none() {
        return Err(syn::Error::new(
            json.span,
            "`strategy_options` is an object of the strategy's options",
        ));
    }
    Ok(("strategyOptions", json))
}

/// `cache = true` or `cache = { keys: ["id", "#tenant", "@lang"], ttl: 30, enabled: true }`:
/// the keys a list of strings, `ttl` a number of seconds.
fn cache(meta: &syn::meta::ParseNestedMeta<'_>, args: &mut ActionArgs) -> syn::Result<()> {
    let mut json: Json = meta.value()?.parse()?;
    let expected = "`cache` is `true`, `false` or `{ keys: [\"id\", \"#meta\", \"@header\"], ttl: 30, enabled: true, lock: { enabled: true, ttl: 15000, staleTime: 10 } }`";
    if matches!(json.value, JsonValue::Bool(_)) {
        args.published.push(("cache", json));
        return Ok(());
    }
    let JsonValue::Object(fields) = &mut json.value else {
        return Err(syn::Error::new(json.span, expected));
    };
    let mut published = Vec::with_capacity(fields.len());
    for (key, key_span, value) in fields.drain(..) {
        // Methods named by `enabled` and `keygen` are bound in Rust; as Node's functions,
        // they are not published.
        if let JsonValue::String(method) = &value.value
            && (key == "enabled" || key == "keygen")
        {
            let lit = LitStr::new(method, value.span);
            let ident = method_name(&lit, &format!("cache.{key}"))?;
            if key == "enabled" {
                args.cache_condition = Some(ident);
            } else {
                args.cache_keygen = Some(ident);
            }
            continue;
        }
        let ok = match (key.as_str(), &value.value) {
            ("keys", JsonValue::Array(items)) => items
                .iter()
                .all(|item| matches!(item.value, JsonValue::String(_))),
            ("ttl", JsonValue::Number(_, n)) => *n >= 0.0 && n.is_finite(),
            ("enabled", JsonValue::Bool(_)) => true,
            ("lock", JsonValue::Bool(_)) => true,
            ("lock", JsonValue::Object(_)) => {
                check_lock(&value)?;
                true
            }
            ("keys" | "ttl" | "enabled" | "lock" | "keygen", _) => false,
            _ => {
                return Err(syn::Error::new(
                    key_span,
                    format!(
                        "unknown `cache` key `{key}` (expected one of: keys, ttl, enabled, lock, keygen)"
                    ),
                ));
            }
        };
        if !ok {
            let what = match key.as_str() {
                "keys" => "a list of strings: `keys: [\"id\", \"#tenant\"]`",
                "ttl" => "a number of seconds: `ttl: 30`",
                "lock" => "`true`, `false` or `{ enabled: true, ttl: 15000, staleTime: 10 }`",
                "keygen" => "the name of a method making the key: `keygen: \"cache_key\"`",
                _ => {
                    "`true`, `false` or the name of a method deciding per call: `enabled: \"cacheable\"`"
                }
            };
            return Err(syn::Error::new(
                value.span,
                format!("`cache.{key}` is {what}"),
            ));
        }
        published.push((key, key_span, value));
    }
    *fields = published;
    args.published.push(("cache", json));
    Ok(())
}

/// `cache.lock = { enabled: bool, ttl: <ms>, staleTime: <s> }`.
fn check_lock(lock: &Json) -> syn::Result<()> {
    for (key, key_span, value) in lock.as_object().unwrap_or(&[]) {
        let ok = match (key.as_str(), &value.value) {
            ("enabled", JsonValue::Bool(_)) => true,
            ("ttl" | "staleTime", JsonValue::Number(_, n)) => *n >= 0.0 && n.is_finite(),
            ("enabled" | "ttl" | "staleTime", _) => false,
            _ => {
                return Err(syn::Error::new(
                    *key_span,
                    format!(
                        "unknown `cache.lock` key `{key}` (expected one of: enabled, ttl, staleTime)"
                    ),
                ));
            }
        };
        if !ok {
            let what = match key.as_str() {
                "enabled" => "`true` or `false`",
                "ttl" => "a number of milliseconds: `ttl: 15000`",
                _ => "a number of seconds: `staleTime: 10`",
            };
            return Err(syn::Error::new(
                value.span,
                format!("`cache.lock.{key}` is {what}"),
            ));
        }
    }
    Ok(())
}

/// A fault-tolerance section (`bulkhead = { enabled: true, concurrency: 2 }`), checked
/// against the keys the runtime reads (`moleculer_rules::sections`): an object of known keys,
/// each of its kind.
fn section(
    meta: &syn::meta::ParseNestedMeta<'_>,
    name: &'static str,
) -> syn::Result<(&'static str, Json)> {
    let json: Json = meta.value()?.parse()?;
    let keys = moleculer_rules::sections::section_keys(name).unwrap_or(&[]);
    let known = || keys.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ");
    let Some(fields) = json.as_object() else {
        return Err(syn::Error::new(
            json.span,
            format!("`{name}` is an object of its keys ({})", known()),
        ));
    };
    for (key, key_span, value) in fields {
        let Some((_, kind)) = keys.iter().find(|(k, _)| k == key) else {
            return Err(syn::Error::new(
                *key_span,
                format!(
                    "unknown `{name}` key `{key}` (expected one of: {})",
                    known()
                ),
            ));
        };
        if !kind_matches(*kind, &value.value) {
            return Err(syn::Error::new(
                value.span,
                format!("`{name}.{key}` is {}", kind.describe()),
            ));
        }
    }
    Ok((name, json))
}

fn kind_matches(kind: moleculer_rules::sections::KeyKind, value: &JsonValue) -> bool {
    use moleculer_rules::sections::KeyKind;
    match (kind, value) {
        (KeyKind::Bool, JsonValue::Bool(_)) => true,
        (KeyKind::Number, JsonValue::Number(_, n)) => *n >= 0.0 && n.is_finite(),
        (KeyKind::Count, JsonValue::Number(_, n)) => *n >= 0.0 && n.fract() == 0.0,
        _ => false,
    }
}

/// A key whose value is a whole number of milliseconds (`timeout = 3000`).
fn millis(meta: &syn::meta::ParseNestedMeta<'_>, key: &str, example: u64) -> syn::Result<LitInt> {
    let expected = format!("`{key}` is a whole number of milliseconds: `{key} = {example}`");
    let input = meta.value()?;
    let span = input.span();
    let lit: LitInt = input
        .parse()
        .map_err(|_| syn::Error::new(span, &expected))?;
    if lit.base10_parse::<u64>().is_err() || !lit.suffix().is_empty() {
        return Err(syn::Error::new_spanned(&lit, expected));
    }
    Ok(lit)
}

/// `"name"` or `["a", "b"]`.
fn string_or_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    let input = meta.value()?;
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let list = content.parse_terminated(|i| i.parse::<LitStr>(), Token![,])?;
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![input.parse::<LitStr>()?])
    }
}

/// A method named by a string, spanned at the string.
fn method_name(lit: &LitStr, key: &str) -> syn::Result<syn::Ident> {
    let ident = lit.parse::<syn::Ident>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("`{key}` names methods of this impl block: `\"check_owner\"`"),
        )
    })?;
    Ok(syn::Ident::new(&ident.to_string(), lit.span()))
}

/// Parses `#[hook(...)]`: exactly one of `before`, `after`, `error`, naming actions with a
/// string or a list of strings.
pub(crate) fn parse_hook_args(tokens: TokenStream, span: Span, cx: &Ctxt) -> Option<HookArgs> {
    let mut found: Option<HookArgs> = None;
    let errors = cx.count();
    parse_with(tokens, cx, |meta, key| {
        let kind = match key {
            "before" => HookKind::Before,
            "after" => HookKind::After,
            "error" => HookKind::Error,
            _ => {
                return Err(meta.error(format!(
                    "unknown `#[hook]` key `{key}` (expected one of: before, after, error)"
                )));
            }
        };
        if found.is_some() {
            return Err(
                meta.error("a hook method is one of `before`, `after` or `error`: give it one key")
            );
        }
        let names = string_or_list(meta)?;
        found = Some(HookArgs { kind, names });
        Ok(())
    });
    if found.is_none() && cx.count() == errors {
        cx.error(span, "say which actions the hook runs for: `#[hook(before = \"*\")]`, `#[hook(after = \"get|list\")]` or `#[hook(error = [\"create\", \"update\"])]`");
    }
    found
}

/// The span of a version argument.
pub(crate) fn version_span(v: &VersionArg) -> Span {
    match v {
        VersionArg::Number(n) => n.span(),
        VersionArg::String(s) => s.span(),
    }
}
