//! Plots as inline SVG (maud templates, so every label is escaped): no
//! script, no network, no plotting library, so a report opens from the
//! file system and prints the same everywhere. Each plot has a `<title>`
//! and labelled axes; numbers are drawn from the same figures the tables
//! print. SVG elements are always closed (`<line …></line>`): inside HTML,
//! an unclosed SVG element would swallow its neighbours.

use maud::{html, Markup};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

/// The y-axis of a count: whole-number ticks only, none repeated. The step
/// is the smallest whole number giving at most four intervals, and the axis
/// ends at the first tick at or above the largest count.
pub fn count_ticks(max: usize) -> Vec<usize> {
    let max = max.max(1);
    let step = max.div_ceil(4);
    let top = max.div_ceil(step) * step;
    (0..=top).step_by(step).collect()
}

/// A bar chart of counts under labels (the score distribution).
pub fn bar_chart(title: &str, labels: &[String], counts: &[usize], css_class: &str) -> Markup {
    let ticks = count_ticks(counts.iter().copied().max().unwrap_or(0));
    let top = *ticks.last().unwrap_or(&1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / counts.len().max(1) as f64;
    html! {
        svg class={ "chart " (css_class) } xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            @for tick in &ticks {
                @let y = TOP + plot_h * (1.0 - *tick as f64 / top);
                line.grid x1=(LEFT) y1=(f1(y)) x2=(f1(WIDTH - RIGHT)) y2=(f1(y)) {}
                text.label.tick x=(f1(LEFT - 6.0)) y=(f1(y + 4.0)) text-anchor="end" { (tick) }
            }
            @for (i, (&count, label)) in counts.iter().zip(labels).enumerate() {
                @let h = plot_h * count as f64 / top;
                @let x = LEFT + slot * i as f64 + slot * 0.12;
                @let y = TOP + plot_h - h;
                rect.bar x=(f1(x)) y=(f1(y)) width=(f1(slot * 0.76)) height=(f1(h)) data-count=(count) {
                    title { (label) ": " (count) }
                }
                @if count > 0 {
                    text.value x=(f1(x + slot * 0.38)) y=(f1(y - 3.0)) text-anchor="middle" { (count) }
                }
                text.label x=(f1(x + slot * 0.38)) y=(f1(HEIGHT - BOTTOM + 16.0)) text-anchor="middle" { (label) }
            }
        }
    }
}

/// One line of a [`line_chart`]: a value (or a gap) per x label.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub css_class: &'a str,
}

/// Lines over x labels (weeks) on a 0–100 scale (scores, pass rates).
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    css_class: &str,
) -> Markup {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = labels.len().max(1);
    let x_of = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    // Thin the x labels so they never overlap (about 12 fit).
    let step = n.div_ceil(12);
    let path = |values: &[Option<f64>]| {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(v) => {
                    path.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(*v)
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        path.trim_end().to_string()
    };
    html! {
        svg class={ "chart " (css_class) } xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
            title { (title) }
            @for tick in [0, 25, 50, 75, 100] {
                @let y = y_of(tick as f64);
                line.grid x1=(LEFT) y1=(f1(y)) x2=(f1(WIDTH - RIGHT)) y2=(f1(y)) {}
                text.label.tick x=(f1(LEFT - 6.0)) y=(f1(y + 4.0)) text-anchor="end" { (tick) }
            }
            @for (i, label) in labels.iter().enumerate() {
                @if i % step == 0 || i == n - 1 {
                    // The end labels lean inwards so they are not clipped.
                    @let anchor = if n == 1 { "middle" } else if i == 0 { "start" } else if i == n - 1 { "end" } else { "middle" };
                    text.label x=(f1(x_of(i))) y=(f1(HEIGHT - BOTTOM + 16.0)) text-anchor=(anchor) { (label) }
                }
            }
            @for (s, line) in series.iter().enumerate() {
                path class={ "line " (line.css_class) } d=(path(&line.values)) fill="none" {}
                @for (i, value) in line.values.iter().enumerate() {
                    @if let Some(v) = value {
                        circle class={ "point " (line.css_class) } cx=(f1(x_of(i))) cy=(f1(y_of(*v))) r="3" {
                            title { (line.name) " " (labels[i]) ": " (f1(*v)) }
                        }
                    }
                }
                // Legend, top right.
                @let lx = WIDTH - RIGHT - 150.0;
                @let ly = TOP + 4.0 + 16.0 * s as f64;
                line class={ "line " (line.css_class) } x1=(f1(lx)) y1=(f1(ly)) x2=(f1(lx + 18.0)) y2=(f1(ly)) {}
                text.legend x=(f1(lx + 24.0)) y=(f1(ly + 4.0)) { (line.name) }
            }
        }
    }
}

/// A speaker timeline of a call: one lane per speaker, one clickable block
/// per utterance (`data-seek` in seconds), evidence blocks marked.
pub struct TimelineBlock {
    pub lane: usize,
    pub start_ms: u64,
    pub end_ms: u64,
    pub utterance_id: String,
    pub label: String,
    pub evidence: bool,
}

pub fn timeline(title: &str, lanes: &[&str], blocks: &[TimelineBlock], total_ms: u64) -> Markup {
    let lane_h = 26.0;
    let left = 64.0;
    let height = TOP + lane_h * lanes.len() as f64 + 24.0;
    let plot_w = WIDTH - left - RIGHT;
    let total = total_ms.max(1) as f64;
    // Minute ticks (or 10 s ticks on short calls).
    let tick_ms: u64 = if total_ms > 180_000 { 60_000 } else { 10_000 };
    let ticks: Vec<u64> = (0..=total_ms).step_by(tick_ms as usize).collect();
    html! {
        svg.timeline xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (format!("{height:.0}")) } role="img" aria-label=(title) {
            title { (title) }
            @for (i, lane) in lanes.iter().enumerate() {
                @let y = TOP + lane_h * i as f64;
                text.label x="4" y=(f1(y + lane_h * 0.62)) { (lane) }
                line.grid x1=(left) y1=(f1(y + lane_h)) x2=(f1(WIDTH - RIGHT)) y2=(f1(y + lane_h)) {}
            }
            @for block in blocks {
                @let x = left + plot_w * block.start_ms as f64 / total;
                @let w = (plot_w * block.end_ms.saturating_sub(block.start_ms) as f64 / total).max(1.5);
                @let y = TOP + lane_h * block.lane as f64 + 4.0;
                rect class={ "utt-block lane" (block.lane) @if block.evidence { " evidence" } }
                    x=(f1(x)) y=(f1(y)) width=(f1(w)) height=(f1(lane_h - 8.0))
                    data-seek=(format!("{:.2}", block.start_ms as f64 / 1000.0)) data-target=(block.utterance_id) {
                    title { (block.label) }
                }
            }
            @for t in ticks {
                text.label x=(f1(left + plot_w * t as f64 / total)) y=(f1(height - 6.0)) text-anchor="middle" { (clock(t)) }
            }
        }
    }
}

/// `m:ss` for a time in milliseconds.
pub fn clock(ms: u64) -> String {
    let seconds = ms / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_count_and_escape_labels() {
        let svg = bar_chart(
            "分布 <scores>",
            &["0–9".into(), "10–19".into()],
            &[2, 4],
            "histogram",
        );
        let svg = svg.into_string();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;scores&gt;"));
        assert!(svg.contains(r#"data-count="2""#) && svg.contains(r#"data-count="4""#));
        assert!(svg.contains(r#"height="164.0" data-count="4""#), "{svg}");
        assert!(svg.contains(r#"height="82.0" data-count="2""#), "{svg}");
    }

    #[test]
    fn count_axes_have_whole_distinct_ticks() {
        assert_eq!(count_ticks(3), [0, 1, 2, 3]);
        assert_eq!(count_ticks(4), [0, 1, 2, 3, 4]);
        assert_eq!(count_ticks(5), [0, 2, 4, 6]);
        assert_eq!(count_ticks(0), [0, 1]);
        assert_eq!(count_ticks(17), [0, 5, 10, 15, 20]);
        for max in 1..200 {
            let ticks = count_ticks(max);
            assert!(
                *ticks.last().unwrap() >= max && ticks.len() <= 5,
                "{max}: {ticks:?}"
            );
            assert!(ticks.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn lines_break_at_missing_values() {
        let svg = line_chart(
            "trend",
            &["W1".into(), "W2".into(), "W3".into()],
            &[Series {
                name: "agent",
                values: vec![Some(50.0), None, Some(100.0)],
                css_class: "a",
            }],
            "trend",
        )
        .into_string();
        let path = svg
            .split(r#" d=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 0, "{path}");
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
