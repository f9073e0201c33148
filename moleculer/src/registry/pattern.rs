//! Event name patterns (Node's `utils.match`): `?` is one character, `*` a run without dots,
//! `**` anything.

/// Whether `name` matches `pattern`.
pub fn matches(name: &str, pattern: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return name == pattern;
    }
    // The fast paths Node has, with the same results as the general matcher.
    if pattern == "**" {
        return true;
    }
    if pattern == "*" {
        return !name.contains('.');
    }
    if let Some(prefix) = pattern.strip_suffix("**") {
        if !prefix.contains(['*', '?']) {
            return name.starts_with(prefix);
        }
    } else if let Some(prefix) = pattern.strip_suffix('*')
        && !prefix.contains(['*', '?'])
    {
        return name
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.contains('.'));
    }
    glob(name.as_bytes(), pattern.as_bytes())
}

/// Backtracking matcher over bytes; `*` stops at dots, `**` does not.
fn glob(name: &[u8], pattern: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => {
            let (deep, rest) = match rest.split_first() {
                Some((b'*', r)) => (true, r),
                _ => (false, rest),
            };
            for skip in 0..=name.len() {
                if glob(&name[skip..], rest) {
                    return true;
                }
                if skip < name.len() && !deep && name[skip] == b'.' {
                    return false;
                }
            }
            false
        }
        Some((b'?', rest)) => !name.is_empty() && name[0] != b'.' && glob(&name[1..], rest),
        Some((&c, rest)) => name.first() == Some(&c) && glob(&name[1..], rest),
    }
}

/// Whether a pattern is well formed: not empty, and no run of three or more `*`.
pub fn is_valid(pattern: &str) -> bool {
    !pattern.is_empty() && !pattern.contains("***") && !pattern.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn node_match_cases() {
        assert!(matches("user.created", "user.created"));
        assert!(matches("user.created", "user.*"));
        assert!(!matches("user.created.now", "user.*"));
        assert!(matches("user.created.now", "user.**"));
        assert!(matches("user.created", "**"));
        assert!(!matches("user.created", "*"));
        assert!(matches("user", "*"));
        assert!(matches("user.created", "user.?reated"));
        assert!(!matches("user.created", "post.*"));
        assert!(matches("a.b.c", "a.*.c"));
        assert!(!matches("a.b.x.c", "a.*.c"));
        assert!(matches("a.b.x.c", "a.**.c"));
        assert!(matches("$services.changed", "$services.*"));
        assert!(matches("$node.connected", "$node.**"));
    }
}
