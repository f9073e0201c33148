//! ANSI colours as Node's `kleur` writes them, and whether the environment allows them.

use std::io::IsTerminal;

use crate::options::{LogLevel, ModuleColors};

/// One `kleur` style: its opening and closing SGR codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Red,
    Green,
    Yellow,
    Magenta,
    Gray,
    Inverse,
    /// Any other style, by its codes.
    Codes(u8, u8),
}

impl Style {
    fn codes(self) -> (u8, u8) {
        match self {
            Self::Red => (31, 39),
            Self::Green => (32, 39),
            Self::Yellow => (33, 39),
            Self::Magenta => (35, 39),
            Self::Gray => (90, 39),
            Self::Inverse => (7, 27),
            Self::Codes(open, close) => (open, close),
        }
    }
}

/// The codes of a `kleur` style name (`"cyan"`, `"bold"`, `"bgRed"`), `None` if unknown.
pub(crate) fn style_code(name: &str) -> Option<(u8, u8)> {
    Some(match name {
        "reset" => (0, 0),
        "bold" => (1, 22),
        "dim" => (2, 22),
        "italic" => (3, 23),
        "underline" => (4, 24),
        "inverse" => (7, 27),
        "hidden" => (8, 28),
        "strikethrough" => (9, 29),
        "black" => (30, 39),
        "red" => (31, 39),
        "green" => (32, 39),
        "yellow" => (33, 39),
        "blue" => (34, 39),
        "magenta" => (35, 39),
        "cyan" => (36, 39),
        "white" => (37, 39),
        "gray" | "grey" => (90, 39),
        "bgBlack" => (40, 49),
        "bgRed" => (41, 49),
        "bgGreen" => (42, 49),
        "bgYellow" => (43, 49),
        "bgBlue" => (44, 49),
        "bgMagenta" => (45, 49),
        "bgCyan" => (46, 49),
        "bgWhite" => (47, 49),
        _ => return None,
    })
}

/// The styles of a dotted `kleur` chain (`"bold.yellow"`); unknown names are left out (the
/// options refuse them).
pub(crate) fn chain(name: &str) -> Vec<Style> {
    name.split('.')
        .filter_map(style_code)
        .map(|(open, close)| Style::Codes(open, close))
        .collect()
}

/// `kleur`'s `run`: every opening code, the text (a closing code inside it reopens the
/// style), then every closing code, in the same order.
pub(crate) fn paint(styles: &[Style], text: &str) -> String {
    let mut begin = String::new();
    let mut end = String::new();
    let mut text = text.to_owned();
    for style in styles {
        let (open, close) = style.codes();
        let (open, close) = (format!("\x1b[{open}m"), format!("\x1b[{close}m"));
        if text.contains(&close) {
            text = text.replace(&close, &format!("{close}{open}"));
        }
        begin.push_str(&open);
        end.push_str(&close);
    }
    format!("{begin}{text}{end}")
}

/// The styles of a level's name (Node's `getColor`).
pub(crate) fn level_styles(level: LogLevel) -> &'static [Style] {
    match level {
        LogLevel::Fatal => &[Style::Red, Style::Inverse],
        LogLevel::Error => &[Style::Red],
        LogLevel::Warn => &[Style::Yellow],
        LogLevel::Info => &[Style::Green],
        LogLevel::Debug => &[Style::Magenta],
        LogLevel::Trace => &[Style::Gray],
    }
}

/// Node's colours for `moduleColors: true`.
const MODULE_PALETTE: [&str; 10] = [
    "yellow",
    "bold.yellow",
    "cyan",
    "bold.cyan",
    "green",
    "bold.green",
    "magenta",
    "bold.magenta",
    "blue",
    "bold.blue",
];

/// The colour of the upper-case module name `module` (Node's `getNextColor`: the `debug`
/// package's hash over UTF-16 code units), grey without module colours.
pub(crate) fn module_styles(module_colors: &ModuleColors, module: &str) -> Vec<Style> {
    let pick = |len: usize| -> usize {
        let hash = module.encode_utf16().fold(0i32, |hash, unit| {
            hash.wrapping_shl(5)
                .wrapping_sub(hash)
                .wrapping_add(i32::from(unit))
        });
        (i64::from(hash).unsigned_abs() % len as u64) as usize
    };
    match module_colors {
        ModuleColors::On => chain(MODULE_PALETTE[pick(MODULE_PALETTE.len())]),
        ModuleColors::List(colors) if !colors.is_empty() => chain(&colors[pick(colors.len())]),
        _ => vec![Style::Gray],
    }
}

/// Whether `kleur` would colour: no `NODE_DISABLE_COLORS` nor `NO_COLOR`, `TERM` not
/// `dumb`, and `FORCE_COLOR` set (not `0`) or stdout a terminal.
pub(crate) fn environment_allows_colors() -> bool {
    let var = |name| std::env::var_os(name);
    let force = var("FORCE_COLOR").is_some_and(|v| v != "0");
    var("NODE_DISABLE_COLORS").is_none_or(|v| v.is_empty())
        && var("NO_COLOR").is_none()
        && var("TERM").is_none_or(|v| v != "dumb")
        && (force || std::io::stdout().is_terminal())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes captured from Node 20 with `FORCE_COLOR=1`.
    #[test]
    fn paints_as_kleur_does() {
        assert_eq!(
            paint(level_styles(LogLevel::Fatal), "FATAL"),
            "\x1b[31m\x1b[7mFATAL\x1b[39m\x1b[27m"
        );
        assert_eq!(
            paint(&chain("bold.cyan"), "BROKER"),
            "\x1b[1m\x1b[36mBROKER\x1b[22m\x1b[39m"
        );
        assert_eq!(
            paint(&[Style::Gray], "a\x1b[39mb"),
            "\x1b[90ma\x1b[39m\x1b[90mb\x1b[39m"
        );
    }

    /// The colours Node 20 gave these modules with `moduleColors: true`.
    #[test]
    fn module_colours_follow_nodes_hash() {
        for (module, color) in [
            ("BROKER", "bold.cyan"),
            ("REGISTRY", "bold.cyan"),
            ("GREETER", "magenta"),
            ("A", "bold.green"),
            ("USERS", "cyan"),
            ("POSTS", "bold.blue"),
            ("V2.MATH", "cyan"),
            ("XY", "bold.magenta"),
            ("LONG-MODULE-NAME", "bold.magenta"),
            ("$NODE", "yellow"),
        ] {
            assert_eq!(
                module_styles(&ModuleColors::On, module),
                chain(color),
                "{module}"
            );
        }
        assert_eq!(module_styles(&ModuleColors::Off, "BROKER"), [Style::Gray]);
    }
}
