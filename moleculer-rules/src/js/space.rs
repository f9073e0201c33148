//! JavaScript whitespace: ECMAScript's `WhiteSpace` and `LineTerminator` characters.

/// Whether `c` is whitespace to `String.prototype.trim` and `Number(text)`: tab, vertical
/// tab, form feed, the byte order mark, every space separator (Unicode `Zs`) and the line
/// terminators. Unlike [`char::is_whitespace`], U+0085 (next line) is not one.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `s.trim()`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `s.trimStart()`.
pub fn trim_start(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// `s.trimEnd()`.
pub fn trim_end(s: &str) -> &str {
    s.trim_end_matches(is_space)
}
