//! Charts drawn on the server as SVG (no script, no network): bars with an optional target
//! line for trends, horizontal achievement bars per unit, and aging bars. Labels come in the
//! person's language from the caller; the template escapes every text, so the SVG can be
//! embedded in a page as is. The drawing scales to the width of its container (phone width
//! included) through its `viewBox`.

use askama::Template;

pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub fill: &'static str,
    pub tip: String,
}

pub struct Text {
    pub x: i64,
    pub y: i64,
    pub anchor: &'static str,
    pub size: i64,
    pub fill: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "chart_svg.html")]
struct Svg {
    id: String,
    title: String,
    width: i64,
    height: i64,
    left: i64,
    base: i64,
    rects: Vec<Rect>,
    line: String,
    texts: Vec<Text>,
}

const ACTUAL: &str = "#1c7ed6";
const AHEAD: &str = "#2f9e44";
const BEHIND: &str = "#e8590c";
const MUTED: &str = "#495057";

/// One bar: a label, the value, and the value it is measured against (if any).
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub target: Option<i64>,
    /// How to print the value (money, a percentage…).
    pub shown: String,
}

fn render(svg: Svg) -> String {
    svg.render().unwrap_or_default()
}

/// Vertical bars with the targets joined by a dashed line: the trend against target.
pub fn columns(id: &str, title: &str, bars: &[Bar]) -> String {
    let (width, height, left, top, base) = (420i64, 250i64, 4i64, 26i64, 224i64);
    let max = bars
        .iter()
        .flat_map(|b| [b.value, b.target.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1);
    let n = bars.len().max(1) as i64;
    let slot = (width - left) / n;
    let scale = |v: i64| -> i64 {
        (i128::from(v.max(0)) * i128::from(base - top) / i128::from(max)) as i64
    };
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    let mut points = Vec::new();
    for (i, b) in bars.iter().enumerate() {
        let x = left + i as i64 * slot;
        let h = scale(b.value);
        let fill = match b.target {
            Some(t) if b.value >= t => AHEAD,
            Some(_) => BEHIND,
            None => ACTUAL,
        };
        rects.push(Rect {
            x: x + slot / 6,
            y: base - h,
            w: (slot * 2 / 3).max(1),
            h,
            fill,
            tip: format!("{}: {}", b.label, b.shown),
        });
        if let Some(t) = b.target {
            points.push(format!("{},{}", x + slot / 2, base - scale(t)));
        }
        texts.push(Text {
            x: x + slot / 2,
            y: base + 18,
            anchor: "middle",
            size: 13,
            fill: MUTED,
            text: b.label.clone(),
        });
    }
    if let Some(last) = bars.last() {
        texts.push(Text {
            x: width - 4,
            y: 16,
            anchor: "end",
            size: 14,
            fill: MUTED,
            text: format!("{}: {}", last.label, last.shown),
        });
    }
    render(Svg {
        id: id.to_string(),
        title: title.to_string(),
        width,
        height,
        left,
        base,
        rects,
        line: points.join(" "),
        texts,
    })
}

/// Horizontal bars, one per row, long enough to read on a phone: achievement by unit, aging.
/// Bars are scaled to the largest of values and targets; a bar at or above its target is green.
pub fn rows(id: &str, title: &str, bars: &[Bar]) -> String {
    let (width, row, label_w) = (420i64, 34i64, 120i64);
    let height = row * bars.len().max(1) as i64 + 8;
    let max = bars
        .iter()
        .flat_map(|b| [b.value, b.target.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1);
    let span = width - label_w - 130;
    let scale =
        |v: i64| -> i64 { (i128::from(v.max(0)) * i128::from(span) / i128::from(max)) as i64 };
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    let mut ticks = Vec::new();
    for (i, b) in bars.iter().enumerate() {
        let y = 4 + i as i64 * row;
        let fill = match b.target {
            Some(t) if b.value >= t => AHEAD,
            Some(_) => BEHIND,
            None => ACTUAL,
        };
        let w = scale(b.value);
        rects.push(Rect {
            x: label_w,
            y: y + 6,
            w,
            h: row - 14,
            fill,
            tip: format!("{}: {}", b.label, b.shown),
        });
        if let Some(t) = b.target {
            // the target as a thin dark mark across the bar
            ticks.push(Rect {
                x: label_w + scale(t) - 1,
                y: y + 2,
                w: 3,
                h: row - 6,
                fill: MUTED,
                tip: b.shown.clone(),
            });
        }
        texts.push(Text {
            x: label_w - 8,
            y: y + row / 2 + 4,
            anchor: "end",
            size: 13,
            fill: MUTED,
            text: b.label.clone(),
        });
        texts.push(Text {
            x: label_w + w + 6,
            y: y + row / 2 + 4,
            anchor: "start",
            size: 13,
            fill: MUTED,
            text: b.shown.clone(),
        });
    }
    rects.extend(ticks);
    render(Svg {
        id: id.to_string(),
        title: title.to_string(),
        width,
        height,
        left: label_w,
        base: height - 2,
        rects,
        line: String::new(),
        texts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64, target: Option<i64>) -> Bar {
        Bar {
            label: label.into(),
            value,
            target,
            shown: value.to_string(),
        }
    }

    #[test]
    fn columns_scale_and_escape() {
        let svg = columns(
            "trend",
            "Trend <vs> target",
            &[
                bar("01", 50, Some(100)),
                bar("02", 200, Some(100)),
                bar("<b>", 0, None),
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(
            svg.contains("Trend &#60;vs&#62; target") || svg.contains("Trend &lt;vs&gt; target")
        );
        assert!(!svg.contains("<b>"));
        // the tallest bar fills the plot (198 = 224 − 26), the others in proportion
        assert!(svg.contains("height=\"198\""));
        assert!(svg.contains("height=\"49\""));
        assert!(svg.contains(BEHIND) && svg.contains(AHEAD));
        assert!(svg.contains("<polyline"));
    }

    #[test]
    fn rows_mark_targets() {
        let svg = rows(
            "kids",
            "By unit",
            &[bar("East", 80, Some(100)), bar("North", 120, Some(100))],
        );
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains("East") && svg.contains("North"));
        let empty = rows("none", "Nothing", &[]);
        assert!(empty.contains("<svg"));
    }
}
