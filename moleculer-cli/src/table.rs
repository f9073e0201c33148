//! Aligned text tables: a header row, a rule, then the rows, columns padded to their widest
//! cell and separated by two spaces.

use std::fmt;

/// A table of text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    /// The column titles.
    headers: Vec<String>,
    /// The rows; each has one cell per column.
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column titles.
    pub(crate) fn new<I, S>(headers: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty and extra cells are dropped.
    pub(crate) fn push<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells
            .into_iter()
            .map(|c| clean(&c.into()))
            .take(self.headers.len())
            .collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The rows so far.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Each column's width: its widest cell, title included, in characters.
    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        widths
    }
}

/// The number of characters a cell takes.
fn width(text: &str) -> usize {
    text.chars().count()
}

/// One line per cell: line breaks and tabs are shown escaped.
fn clean(text: &str) -> String {
    if text.contains(['\n', '\r', '\t']) {
        text.replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t")
    } else {
        text.to_owned()
    }
}

/// Writes one line of cells, padded to `widths`, without trailing spaces.
fn write_line<'a>(
    f: &mut fmt::Formatter<'_>,
    cells: impl Iterator<Item = &'a str>,
    widths: &[usize],
) -> fmt::Result {
    let mut line = String::new();
    for (i, (cell, w)) in cells.zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        line.extend(std::iter::repeat_n(' ', w.saturating_sub(width(cell))));
    }
    writeln!(f, "{}", line.trim_end())
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths = self.widths();
        write_line(f, self.headers.iter().map(String::as_str), &widths)?;
        let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        write_line(f, rules.iter().map(String::as_str), &widths)?;
        for row in &self.rows {
            write_line(f, row.iter().map(String::as_str), &widths)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_to_the_widest_cell() {
        let mut t = Table::new(["ID", "Type", "Status"]);
        t.push(["node-1", "rust", "ONLINE"]);
        t.push(["n2", "nodejs", "OFFLINE"]);
        assert_eq!(
            t.to_string(),
            "ID      Type    Status\n\
             ------  ------  -------\n\
             node-1  rust    ONLINE\n\
             n2      nodejs  OFFLINE\n"
        );
    }

    #[test]
    fn an_empty_table_has_its_header_and_rule() {
        let t = Table::new(["Action", "Nodes"]);
        assert_eq!(t.to_string(), "Action  Nodes\n------  -----\n");
    }

    #[test]
    fn no_trailing_spaces_and_empty_last_cells() {
        let mut t = Table::new(["Key", "Value"]);
        t.push(["a", ""]);
        t.push(["long-key", "x"]);
        let text = t.to_string();
        assert!(text.lines().all(|l| !l.ends_with(' ')), "{text:?}");
        assert_eq!(text.lines().nth(2), Some("a"));
    }

    #[test]
    fn rows_are_fitted_to_the_header() {
        let mut t = Table::new(["A", "B"]);
        t.push(["1"]);
        t.push(["1", "2", "3"]);
        assert_eq!(t.rows(), [vec!["1", ""], vec!["1", "2"]]);
    }

    #[test]
    fn widths_count_characters_and_line_breaks_are_escaped() {
        let mut t = Table::new(["Name", "X"]);
        t.push(["café", "1"]);
        t.push(["a\nb", "2"]);
        assert_eq!(t.to_string(), "Name  X\n----  -\ncafé  1\na\\nb  2\n");
    }
}
