//! "Did you mean …?" for misspelt option names.

/// The known name closest to `key`, when it is close enough to be a likely misspelling:
/// the same name in another case, or at most a third of its letters (and at least one)
/// added, removed or changed.
pub(crate) fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let wanted = key.to_ascii_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    known
        .iter()
        .map(|name| (edit_distance(&wanted, &name.to_ascii_lowercase()), *name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &[
        "requestTimeout",
        "retryPolicy",
        "nodeID",
        "tracking",
        "tracing",
    ];

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("requestTimout", KNOWN), Some("requestTimeout"));
        assert_eq!(closest("nodeId", KNOWN), Some("nodeID"));
        assert_eq!(closest("retrypolicy", KNOWN), Some("retryPolicy"));
        assert_eq!(closest("tracin", KNOWN), Some("tracing"));
        assert_eq!(closest("somethingElse", KNOWN), None);
        assert_eq!(closest("x", KNOWN), None);
    }
}
