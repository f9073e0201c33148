//! JSON-like literals inside attributes, with a span on every node.
//!
//! Two spellings are accepted:
//! - object literals, as in JavaScript: `{ name: "string|min:2", age: { type: "number" } }`;
//! - nested meta, as in Rust attributes: `settings(precision = 2, rest(base = "/math"))`.
//!
//! The tree becomes JSON text for the runtime, and a `moleculer_rules::SchemaValue` for the
//! fastest-validator checks.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitFloat, LitInt, LitStr, Token, braced, bracketed};

use moleculer_rules::SchemaValue;
use moleculer_rules::js::number_to_string;

/// A JSON value with the span it was written at.
#[derive(Debug, Clone)]
pub(crate) struct Json {
    pub(crate) value: JsonValue,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum JsonValue {
    Null,
    Bool(bool),
    /// The number's text as written (kept exact for the runtime) and its value.
    Number(String, f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Span, Json)>),
}

impl Parse for Json {
    fn parse(input: ParseStream<'_>) -> syn::Result<Json> {
        let lookahead = input.lookahead1();
        if input.peek(syn::token::Brace) {
            let content;
            let brace = braced!(content in input);
            let mut fields = Vec::new();
            while !content.is_empty() {
                let (key, span) = parse_key(&content)?;
                content.parse::<Token![:]>()?;
                let value: Json = content.parse()?;
                fields.push((key, span, value));
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
            Ok(Json {
                value: JsonValue::Object(fields),
                span: brace.span.join(),
            })
        } else if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let items = content.parse_terminated(Json::parse, Token![,])?;
            Ok(Json {
                value: JsonValue::Array(items.into_iter().collect()),
                span: bracket.span.join(),
            })
        } else if lookahead.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            Ok(Json {
                value: JsonValue::String(lit.value()),
                span: lit.span(),
            })
        } else if lookahead.peek(LitBool) {
            let lit: LitBool = input.parse()?;
            Ok(Json {
                value: JsonValue::Bool(lit.value),
                span: lit.span(),
            })
        } else if input.peek(Token![-]) || lookahead.peek(LitInt) || lookahead.peek(LitFloat) {
            parse_number(input)
        } else if input.peek(Ident) && input.fork().parse::<Ident>().is_ok_and(|i| i == "null") {
            let ident: Ident = input.parse()?;
            Ok(Json {
                value: JsonValue::Null,
                span: ident.span(),
            })
        } else {
            Err(syn::Error::new(
                input.span(),
                "expected a JSON-like value: a string, number, `true`, `false`, `null`, `[...]` or `{ key: value }`",
            ))
        }
    }
}

fn parse_key(input: ParseStream<'_>) -> syn::Result<(String, Span)> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok((lit.value(), lit.span()));
    }
    // `$$strict` and `$noVersionPrefix` are common keys; allow them unquoted too.
    let mut key = String::new();
    let start = input.span();
    while input.peek(Token![$]) {
        input.parse::<Token![$]>()?;
        key.push('$');
    }
    let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    key.push_str(&ident.to_string());
    Ok((key, start.join(ident.span()).unwrap_or(ident.span())))
}

fn parse_number(input: ParseStream<'_>) -> syn::Result<Json> {
    let negative = input.parse::<Option<Token![-]>>()?.is_some();
    let sign = if negative { "-" } else { "" };
    let (text, span) = if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        if !lit.suffix().is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                "numbers here take no type suffix",
            ));
        }
        (format!("{sign}{}", lit.base10_digits()), lit.span())
    } else {
        let lit: LitFloat = input.parse()?;
        if !lit.suffix().is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                "numbers here take no type suffix",
            ));
        }
        (format!("{sign}{}", lit.base10_digits()), lit.span())
    };
    let value: f64 = text
        .parse()
        .map_err(|_| syn::Error::new(span, "not a number"))?;
    if !value.is_finite() {
        return Err(syn::Error::new(span, "this number is too large for JSON"));
    }
    Ok(Json {
        value: JsonValue::Number(text, value),
        span,
    })
}

/// Reads `key = value`, `key(nested...)` and `"key" = value` items of a nested-meta list into
/// an object.
pub(crate) fn parse_meta_object(input: ParseStream<'_>, span: Span) -> syn::Result<Json> {
    let mut fields = Vec::new();
    while !input.is_empty() {
        let (key, key_span) = parse_key(input)?;
        let value = if input.peek(syn::token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            parse_meta_object(&content, paren.span.join())?
        } else {
            input.parse::<Token![=]>()?;
            input.parse::<Json>()?
        };
        fields.push((key, key_span, value));
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(Json {
        value: JsonValue::Object(fields),
        span,
    })
}

impl Json {
    /// Compact JSON text.
    pub(crate) fn to_json_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match &self.value {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonValue::Number(text, value) => {
                if text.contains(['.', 'e', 'E']) {
                    // `JSON.stringify`'s spelling, which is `Number.prototype.toString()`'s.
                    out.push_str(&number_to_string(*value));
                } else {
                    out.push_str(text);
                }
            }
            JsonValue::String(s) => write_string(s, out),
            JsonValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            JsonValue::Object(fields) => {
                out.push('{');
                for (i, (key, _, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The neutral tree the fastest-validator rules check.
    pub(crate) fn to_schema_value(&self) -> SchemaValue {
        match &self.value {
            JsonValue::Null => SchemaValue::Null,
            JsonValue::Bool(b) => SchemaValue::Bool(*b),
            JsonValue::Number(_, v) => SchemaValue::Number(*v),
            JsonValue::String(s) => SchemaValue::String(s.clone()),
            JsonValue::Array(items) => {
                SchemaValue::Array(items.iter().map(Json::to_schema_value).collect())
            }
            JsonValue::Object(fields) => SchemaValue::Object(
                fields
                    .iter()
                    .map(|(k, _, v)| (k.clone(), v.to_schema_value()))
                    .collect(),
            ),
        }
    }

    /// The span of the node at `path` (object keys and array indexes), or of the deepest
    /// node on the way; with `key`, the span of the last object key instead of its value.
    pub(crate) fn span_at(&self, path: &[String], key: bool) -> Span {
        let Some((first, rest)) = path.split_first() else {
            return self.span;
        };
        match &self.value {
            JsonValue::Object(fields) => {
                fields
                    .iter()
                    .find(|(k, _, _)| k == first)
                    .map_or(self.span, |(_, key_span, v)| match (rest.is_empty(), key) {
                        (true, true) => *key_span,
                        (true, false) => v.span,
                        (false, _) => v.span_at(rest, key),
                    })
            }
            JsonValue::Array(items) => first
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map_or(self.span, |v| v.span_at(rest, key)),
            _ => self.span,
        }
    }

    /// The object's fields, if it is one.
    pub(crate) fn as_object(&self) -> Option<&[(String, Span, Json)]> {
        match &self.value {
            JsonValue::Object(fields) => Some(fields),
            _ => None,
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_literals_become_json_text() {
        let json: Json = syn::parse_str(
            r#"{ name: "string|min:2", age: { type: "number", min: -1.5e3 }, "$$strict": true, tags: [1, 2], x: null }"#,
        )
        .unwrap();
        assert_eq!(
            json.to_json_text(),
            r#"{"name":"string|min:2","age":{"type":"number","min":-1500},"$$strict":true,"tags":[1,2],"x":null}"#
        );
    }

    #[test]
    fn floats_are_written_as_javascript_writes_them() {
        let json: Json =
            syn::parse_str("[2.0, -0.0, 1e21, 1.5e-7, 0.000001, 1e300, 0.1, 12.5e3]").unwrap();
        assert_eq!(
            json.to_json_text(),
            "[2,0,1e+21,1.5e-7,0.000001,1e+300,0.1,12500]"
        );
        let err = syn::parse_str::<Json>("{ a: 1e400 }").unwrap_err();
        assert_eq!(err.to_string(), "this number is too large for JSON");
    }

    #[test]
    fn dollar_keys_may_be_unquoted() {
        let json: Json =
            syn::parse_str(r#"{ $$strict: "remove", $noVersionPrefix: true }"#).unwrap();
        assert_eq!(
            json.to_json_text(),
            r#"{"$$strict":"remove","$noVersionPrefix":true}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        let json: Json = syn::parse_str(r#""a\"b\\c\nd""#).unwrap();
        assert_eq!(json.to_json_text(), r#""a\"b\\c\nd""#);
    }
}
