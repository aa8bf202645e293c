//! Plots as inline SVG text: no script, no network, no plotting library,
//! so a report opens from the file system and prints the same everywhere.
//! Each plot has a `<title>` and labelled axes; numbers are drawn from the
//! same figures the tables print.

use std::fmt::Write;

use super::html::escape;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// A bar chart of counts under labels (the score distribution).
pub fn bar_chart(title: &str, labels: &[String], counts: &[usize], css_class: &str) -> String {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / counts.len().max(1) as f64;
    let mut svg = open(title, css_class);
    axes(&mut svg, max as f64, |v| format!("{v:.0}"));
    for (i, (&count, label)) in counts.iter().zip(labels).enumerate() {
        let h = plot_h * count as f64 / max as f64;
        let x = LEFT + slot * i as f64 + slot * 0.12;
        let y = TOP + plot_h - h;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" data-count="{count}"><title>{}: {count}</title></rect>"#,
            slot * 0.76,
            escape(label)
        );
        if count > 0 {
            let _ = write!(
                svg,
                r#"<text class="value" x="{:.1}" y="{:.1}" text-anchor="middle">{count}</text>"#,
                x + slot * 0.38,
                y - 3.0
            );
        }
        let _ = write!(
            svg,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + slot * 0.38,
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
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
) -> String {
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
    let mut svg = open(title, css_class);
    axes(&mut svg, 100.0, |v| format!("{v:.0}"));
    // Thin the x labels so they never overlap (about 12 fit).
    let step = n.div_ceil(12);
    for (i, label) in labels.iter().enumerate() {
        if i % step == 0 || i == n - 1 {
            // The end labels lean inwards so they are not clipped.
            let anchor = match i {
                _ if n == 1 => "middle",
                0 => "start",
                i if i == n - 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                svg,
                r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                x_of(i),
                HEIGHT - BOTTOM + 16.0,
                escape(label)
            );
        }
    }
    for (s, line) in series.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, value) in line.values.iter().enumerate() {
            match value {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            svg,
            r#"<path class="line {}" d="{}" fill="none"/>"#,
            line.css_class,
            path.trim_end()
        );
        for (i, value) in line.values.iter().enumerate() {
            if let Some(v) = value {
                let _ = write!(
                    svg,
                    r#"<circle class="point {}" cx="{:.1}" cy="{:.1}" r="3"><title>{} {}: {v:.1}</title></circle>"#,
                    line.css_class,
                    x_of(i),
                    y_of(*v),
                    escape(line.name),
                    escape(&labels[i])
                );
            }
        }
        // Legend, top right.
        let lx = WIDTH - RIGHT - 150.0;
        let ly = TOP + 4.0 + 16.0 * s as f64;
        let _ = write!(
            svg,
            r#"<line class="line {}" x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}"/><text class="legend" x="{:.1}" y="{:.1}">{}</text>"#,
            line.css_class,
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            escape(line.name)
        );
    }
    svg.push_str("</svg>");
    svg
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

pub fn timeline(title: &str, lanes: &[&str], blocks: &[TimelineBlock], total_ms: u64) -> String {
    let lane_h = 26.0;
    let left = 64.0;
    let height = TOP + lane_h * lanes.len() as f64 + 24.0;
    let plot_w = WIDTH - left - RIGHT;
    let total = total_ms.max(1) as f64;
    let mut svg = format!(
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-label="{0}"><title>{0}</title>"#,
        escape(title)
    );
    for (i, lane) in lanes.iter().enumerate() {
        let y = TOP + lane_h * i as f64;
        let _ = write!(
            svg,
            r#"<text class="label" x="4" y="{:.1}">{}</text><line class="grid" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
            y + lane_h * 0.62,
            escape(lane),
            y + lane_h,
            WIDTH - RIGHT,
            y + lane_h
        );
    }
    for block in blocks {
        let x = left + plot_w * block.start_ms as f64 / total;
        let w = (plot_w * block.end_ms.saturating_sub(block.start_ms) as f64 / total).max(1.5);
        let y = TOP + lane_h * block.lane as f64 + 4.0;
        let _ = write!(
            svg,
            r##"<rect class="utt-block lane{}{}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" data-seek="{:.2}" data-target="{}"><title>{}</title></rect>"##,
            block.lane,
            if block.evidence { " evidence" } else { "" },
            lane_h - 8.0,
            block.start_ms as f64 / 1000.0,
            escape(&block.utterance_id),
            escape(&block.label)
        );
    }
    // Minute ticks (or 10 s ticks on short calls).
    let tick_ms: u64 = if total_ms > 180_000 { 60_000 } else { 10_000 };
    let mut t = 0;
    while t <= total_ms {
        let x = left + plot_w * t as f64 / total;
        let _ = write!(
            svg,
            r#"<text class="label" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            height - 6.0,
            clock(t)
        );
        t += tick_ms;
    }
    svg.push_str("</svg>");
    svg
}

/// `m:ss` for a time in milliseconds.
pub fn clock(ms: u64) -> String {
    let seconds = ms / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

fn open(title: &str, css_class: &str) -> String {
    format!(
        r#"<svg class="chart {css_class}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{0}"><title>{0}</title>"#,
        escape(title)
    )
}

/// Y axis with four grid lines from 0 to `max`, and the x axis.
fn axes(svg: &mut String, max: f64, format: impl Fn(f64) -> String) {
    let plot_h = HEIGHT - TOP - BOTTOM;
    for step in 0..=4 {
        let value = max * step as f64 / 4.0;
        let y = TOP + plot_h * (1.0 - step as f64 / 4.0);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            format(value)
        );
    }
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
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;scores&gt;"));
        assert!(svg.contains(r#"data-count="2""#) && svg.contains(r#"data-count="4""#));
        assert!(svg.contains(r#"height="164.0" data-count="4""#), "{svg}");
        assert!(svg.contains(r#"height="82.0" data-count="2""#), "{svg}");
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
        );
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
