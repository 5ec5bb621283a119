//! "Did you mean" for misspelt names.

/// The candidate closest to `name` by edit distance, when it is close
/// enough to be a likely typo: one edit for names up to four characters,
/// two beyond.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Long names are not typos of short built-ins; the bound also keeps
    // the quadratic distance cheap on hostile input.
    const LONGEST: usize = 64;
    if name.len() > LONGEST {
        return None;
    }
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| c.len() <= LONGEST && *c != name)
        .filter(|c| c.len().abs_diff(name.len()) <= limit)
        .map(|c| (distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// `; did you mean `x`?` or nothing.
pub(crate) fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map_or(String::new(), |c| format!("; did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos() {
        assert_eq!(distance("disolve", "dissolve"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        let names = ["dissolve", "fade", "wipe", "over"];
        assert_eq!(closest("disolve", names), Some("dissolve"));
        assert_eq!(closest("fdae", names), None);
        assert_eq!(closest("wype", names), Some("wipe"));
        assert_eq!(closest("zzz", names), None);
    }
}
