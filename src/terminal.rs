//! Colour on a terminal: whether to use it (the `--color` flag, then `NO_COLOR`,
//! `CLICOLOR_FORCE`, `TERM=dumb`, `CLICOLOR=0`, then whether the output is a terminal) and
//! the few styles the reports use (anstyle, the styles clap's own help is drawn with).

use anstyle::{AnsiColor, Style};

/// The `--color` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Always,
    Never,
}

/// Whether to colour, `env` reading the environment and `terminal` saying whether the output
/// is one. The flag wins; then NO_COLOR (no-color.org), CLICOLOR_FORCE, TERM=dumb and
/// CLICOLOR=0 (bixense.com/clicolors), in that order.
pub fn wanted(choice: Choice, env: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        Choice::Always => true,
        Choice::Never => false,
        Choice::Auto => {
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if set("TERM").as_deref() == Some("dumb")
                || set("CLICOLOR").as_deref() == Some("0")
            {
                false
            } else {
                terminal
            }
        }
    }
}

/// The reports' styles: what went well, what failed, what is uncertain, what matters less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Doubt,
    Faint,
}

/// `text` in `tone` when `on`, else as it is.
pub fn paint(on: bool, tone: Tone, text: &str) -> String {
    if !on {
        return text.to_string();
    }
    let style = match tone {
        Tone::Good => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Tone::Bad => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        Tone::Doubt => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Tone::Faint => Style::new().dimmed(),
    };
    format!("{}{text}{}", style.render(), style.render_reset())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_flag_then_the_environment_then_the_terminal() {
        assert!(wanted(Choice::Always, env(&[("NO_COLOR", "1")]), false));
        assert!(!wanted(
            Choice::Never,
            env(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(wanted(Choice::Auto, env(&[]), true));
        assert!(!wanted(Choice::Auto, env(&[]), false));
        assert!(!wanted(Choice::Auto, env(&[("NO_COLOR", "1")]), true));
        // An empty NO_COLOR is not set (no-color.org).
        assert!(wanted(Choice::Auto, env(&[("NO_COLOR", "")]), true));
        assert!(wanted(Choice::Auto, env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!wanted(
            Choice::Auto,
            env(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
        assert!(!wanted(
            Choice::Auto,
            env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(!wanted(Choice::Auto, env(&[("TERM", "dumb")]), true));
        assert!(!wanted(Choice::Auto, env(&[("CLICOLOR", "0")]), true));
    }

    #[test]
    fn paint_wraps_only_when_on() {
        assert_eq!(paint(false, Tone::Bad, "x"), "x");
        let red = paint(true, Tone::Bad, "x");
        assert!(red.starts_with("\x1b[") && red.contains('x') && red.ends_with("\x1b[0m"));
    }
}
