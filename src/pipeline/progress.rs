//! Progress of a run on stderr: an indicatif bar with ETA when stderr is a
//! terminal, one plain line per finished call otherwise (logs, CI), or
//! nothing. Colour only on a terminal and never when `NO_COLOR` is set
//! (to anything but the empty string, as no-color.org says).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::{visible, visible_lines};

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar if stderr is a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// Always a bar (hidden by indicatif when stderr is not a terminal).
    Bar,
    /// One line per finished call on stderr.
    Lines,
    /// Nothing.
    Off,
}

impl ProgressMode {
    /// `Auto` resolved for this process's stderr and `TERM`.
    pub fn resolve(self) -> ProgressMode {
        match self {
            ProgressMode::Auto => {
                let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
                if std::io::stderr().is_terminal() && !dumb {
                    ProgressMode::Bar
                } else {
                    ProgressMode::Lines
                }
            }
            other => other,
        }
    }
}

/// True unless `NO_COLOR` is set to a non-empty value.
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

const BAR_TEMPLATE_COLOR: &str =
    "{spinner:.green} [{elapsed_precise}] {wide_bar:.cyan/blue} {pos}/{len} calls  ETA {eta}  {msg}";
const BAR_TEMPLATE_PLAIN: &str =
    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} calls  ETA {eta}  {msg}";

/// Progress of one run, shared by the workers.
pub struct Progress {
    display: Display,
    total: usize,
    done: AtomicUsize,
    started: Instant,
}

enum Display {
    Bar(ProgressBar),
    Lines(Mutex<()>),
    Off,
}

impl Progress {
    pub fn new(mode: ProgressMode, total: usize) -> Progress {
        let display = match mode.resolve() {
            ProgressMode::Bar => {
                let template = if color_allowed() {
                    BAR_TEMPLATE_COLOR
                } else {
                    BAR_TEMPLATE_PLAIN
                };
                let style = ProgressStyle::with_template(template)
                    .expect("the progress template is valid")
                    .progress_chars("=> ");
                let bar =
                    ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
                        .with_style(style);
                bar.enable_steady_tick(Duration::from_millis(200));
                Display::Bar(bar)
            }
            ProgressMode::Lines => Display::Lines(Mutex::new(())),
            ProgressMode::Off | ProgressMode::Auto => Display::Off,
        };
        Progress {
            display,
            total,
            done: AtomicUsize::new(0),
            started: Instant::now(),
        }
    }

    /// A call finished; `outcome` is a few words, e.g. `score 86.7 passed`.
    /// Both may quote input (a call id, a file name in an error), so they
    /// are shown through [`visible`]: no escape code from a manifest
    /// reaches the terminal.
    pub fn call_finished(&self, call: &str, outcome: &str) {
        let (call, outcome) = (visible(call), visible_lines(outcome));
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        match &self.display {
            Display::Bar(bar) => {
                bar.set_message(format!("{call}: {outcome}"));
                bar.inc(1);
            }
            Display::Lines(lock) => {
                let elapsed = self.started.elapsed().as_secs_f64();
                let remaining = self.total.saturating_sub(done);
                let eta = if remaining == 0 {
                    String::new()
                } else {
                    format!(
                        ", ETA {}",
                        format_seconds(elapsed / done as f64 * remaining as f64)
                    )
                };
                let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "callqa: [{done}/{}] {call}: {outcome} ({} elapsed{eta})",
                    self.total,
                    format_seconds(elapsed)
                );
            }
            Display::Off => {}
        }
    }

    /// Removes the bar (the caller prints the summary line).
    pub fn finish(&self) {
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn format_seconds(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    if whole >= 3600 {
        format!("{}h{:02}m", whole / 3600, whole % 3600 / 60)
    } else if whole >= 60 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{seconds:.1}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_templates_parse_and_only_one_has_colour() {
        for template in [BAR_TEMPLATE_COLOR, BAR_TEMPLATE_PLAIN] {
            ProgressStyle::with_template(template).unwrap();
        }
        assert!(BAR_TEMPLATE_COLOR.contains(".cyan"));
        assert!(!BAR_TEMPLATE_PLAIN.contains(':'));
    }

    #[test]
    fn every_mode_counts_calls() {
        for mode in [ProgressMode::Bar, ProgressMode::Off, ProgressMode::Auto] {
            let progress = Progress::new(mode, 2);
            progress.call_finished("a", "score 90.0 passed");
            progress.call_finished("b", "error: x");
            assert_eq!(progress.done.load(Ordering::SeqCst), 2);
            progress.finish();
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_seconds(4.25), "4.2s");
        assert_eq!(format_seconds(75.0), "1m15s");
        assert_eq!(format_seconds(3725.0), "1h02m");
    }
}
