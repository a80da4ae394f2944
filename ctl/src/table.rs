//! A minimal left-aligned text table: column widths from the widest cell, two spaces between
//! columns, no trailing spaces. Enough for a terminal; scripts use `--json`.

#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            rows: vec![header.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, one line per row, each ending in `\n`.
    pub fn render(&self) -> String {
        let n_cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; n_cols];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns_without_trailing_spaces() {
        let mut t = Table::new(&["#", "LABEL", "STATE"]);
        t.row(vec!["1".into(), "pro-1".into(), "ready".into()]);
        t.row(vec!["10".into(), "x".into(), String::new()]);
        assert_eq!(t.render(), "#   LABEL  STATE\n1   pro-1  ready\n10  x\n");
    }
}
