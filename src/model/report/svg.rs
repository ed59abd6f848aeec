//! A minimal inline-SVG plotter: a frame with linear axes, ticks, labels, polylines, step lines,
//! markers and a legend. Enough for the report's charts without a plotting crate; every text is
//! escaped. The SVG carries no namespace URL: inline SVG in HTML5 does not need one.

use std::fmt::Write;

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Round tick values inside [lo, hi], about `target` intervals, at the step of 1, 2 or 5 × 10ᵏ nearest
/// to the raw step
/// (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990).
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = match fraction {
        f if f < 1.5 => 1.0,
        f if f < 3.0 => 2.0,
        f if f < 7.0 => 5.0,
        _ => 10.0,
    };
    let step = nice * magnitude;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Formats a tick label with no more decimals than the step needs.
pub fn tick_label(value: f64, ticks: &[f64]) -> String {
    let step = ticks.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min);
    let decimals = if step.is_finite() && step < 1.0 {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    } else {
        0
    };
    let text = format!("{value:.decimals$}");
    if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
        text[1..].to_string()
    } else {
        text
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// CSS colour.
    pub color: String,
    /// Dashed line.
    pub dashed: bool,
    /// Line width in pixels.
    pub width: f64,
}

impl Style {
    /// A solid line.
    pub fn solid(color: &str) -> Self {
        Self {
            color: color.to_string(),
            dashed: false,
            width: 2.0,
        }
    }
    /// A dashed line.
    pub fn dashed(color: &str) -> Self {
        Self {
            dashed: true,
            width: 1.5,
            ..Self::solid(color)
        }
    }
    fn attributes(&self) -> String {
        let dash = if self.dashed { r#" stroke-dasharray="6 4""# } else { "" };
        format!(
            r#"fill="none" stroke="{}" stroke-width="{}"{dash}"#,
            escape(&self.color),
            self.width
        )
    }
}

/// Pixel margins around the plotting area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    /// Left (y tick labels and title).
    pub left: f64,
    /// Right.
    pub right: f64,
    /// Top (title).
    pub top: f64,
    /// Bottom (x tick labels and title, extra rows).
    pub bottom: f64,
}

/// One chart being drawn.
#[derive(Debug, Clone)]
pub struct Plot {
    id: String,
    width: f64,
    height: f64,
    margins: Margins,
    x: (f64, f64),
    y: (f64, f64),
    body: String,
    legend: Vec<(String, Style)>,
    legend_at_bottom: bool,
}

/// Default margins: room for tick labels and axis titles.
pub const MARGINS: Margins = Margins {
    left: 56.0,
    right: 16.0,
    top: 30.0,
    bottom: 46.0,
};

impl Plot {
    /// A `width` × `height` chart with data ranges `x` and `y`; `id` must be unique in the page.
    pub fn new(id: &str, width: f64, height: f64, margins: Margins, x: (f64, f64), y: (f64, f64)) -> Self {
        Self {
            id: id.to_string(),
            width,
            height,
            margins,
            x,
            y,
            body: String::new(),
            legend: Vec::new(),
            legend_at_bottom: false,
        }
    }

    /// Puts the legend in the bottom-right corner (where ROC and calibration curves leave room).
    pub fn legend_bottom_right(&mut self) {
        self.legend_at_bottom = true;
    }

    /// Pixel x of a data x.
    pub fn px(&self, x: f64) -> f64 {
        let span = self.width - self.margins.left - self.margins.right;
        self.margins.left + (x - self.x.0) / (self.x.1 - self.x.0) * span
    }

    /// Pixel y of a data y (SVG y grows downwards).
    pub fn py(&self, y: f64) -> f64 {
        let span = self.height - self.margins.top - self.margins.bottom;
        self.height - self.margins.bottom - (y - self.y.0) / (self.y.1 - self.y.0) * span
    }

    /// Bottom edge of the plotting area in pixels.
    pub fn bottom(&self) -> f64 {
        self.height - self.margins.bottom
    }

    /// Draws the frame, ticks, tick labels, light grid lines and axis titles.
    pub fn axes(&mut self, x_title: &str, y_title: &str, x_ticks: &[f64], y_ticks: &[f64]) {
        let (left, right) = (self.px(self.x.0), self.px(self.x.1));
        let (top, bottom) = (self.py(self.y.1), self.py(self.y.0));
        let mut s = String::new();
        for &t in x_ticks {
            let x = self.px(t);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#eee"/><line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                bottom + 5.0,
                bottom + 17.0,
                escape(&tick_label(t, x_ticks))
            );
        }
        for &t in y_ticks {
            let y = self.py(t);
            let _ = write!(
                s,
                r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#eee"/><line x1="{:.1}" y1="{y:.1}" x2="{left:.1}" y2="{y:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                left - 5.0,
                left - 7.0,
                y + 4.0,
                escape(&tick_label(t, y_ticks))
            );
        }
        let _ = write!(
            s,
            r##"<rect x="{left:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#333"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text transform="translate({:.1} {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
            right - left,
            bottom - top,
            (left + right) / 2.0,
            bottom + 34.0,
            escape(x_title),
            16.0,
            (top + bottom) / 2.0,
            escape(y_title)
        );
        // Grid first so that data draws over it.
        self.body.insert_str(0, &s);
    }

    /// SVG path data `M x y L x y …` of data points in pixels.
    pub fn path_data(&self, points: &[(f64, f64)]) -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| format!("{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, self.px(x), self.py(y)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A line through the points, clipped to the plotting area; with a legend entry when `label` is set.
    pub fn polyline(&mut self, points: &[(f64, f64)], style: &Style, label: Option<&str>) {
        if points.is_empty() {
            return;
        }
        let _ = write!(
            self.body,
            r#"<path d="{}" {} clip-path="url(#{}-area)"/>"#,
            self.path_data(points),
            style.attributes(),
            escape(&self.id)
        );
        if let Some(label) = label {
            self.legend.push((label.to_string(), style.clone()));
        }
    }

    /// A right-continuous step function: holds each y until the next x.
    pub fn step_line(&mut self, points: &[(f64, f64)], style: &Style, label: Option<&str>) {
        self.polyline(&step_points(points), style, label);
    }

    /// Small circles at the points.
    pub fn markers(&mut self, points: &[(f64, f64)], color: &str) {
        for &(x, y) in points {
            let _ = write!(
                self.body,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                self.px(x),
                self.py(y),
                escape(color)
            );
        }
    }

    /// Short vertical ticks at the points (censoring marks on a survival curve).
    pub fn ticks_at(&mut self, points: &[(f64, f64)], color: &str) {
        for &(x, y) in points {
            let (x, y) = (self.px(x), self.py(y));
            let _ = write!(
                self.body,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}"/>"#,
                y - 4.0,
                y + 4.0,
                escape(color)
            );
        }
    }

    /// Vertical error bars from `lo` to `hi` at each x.
    pub fn error_bars(&mut self, bars: &[(f64, f64, f64)], color: &str) {
        for &(x, lo, hi) in bars {
            let x = self.px(x);
            let _ = write!(
                self.body,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}" stroke-width="1"/>"#,
                self.py(lo),
                self.py(hi),
                escape(color)
            );
        }
    }

    /// A full-height vertical line at data x with a label at its top.
    pub fn vertical_line(&mut self, x: f64, style: &Style, label: &str) {
        let (top, bottom) = (self.py(self.y.1), self.py(self.y.0));
        let px = self.px(x);
        let _ = write!(
            self.body,
            r#"<line x1="{px:.1}" y1="{top:.1}" x2="{px:.1}" y2="{bottom:.1}" {}/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
            style.attributes(),
            px + 3.0,
            top + 12.0,
            escape(label)
        );
    }

    /// Text anchored at pixel coordinates (for rows below the axes).
    pub fn text_at(&mut self, x: f64, y: f64, anchor: &str, text: &str, color: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{}" fill="{}">{}</text>"#,
            escape(anchor),
            escape(color),
            escape(text)
        );
    }

    /// The finished `<svg>` element with its title and legend.
    pub fn finish(self, title: &str) -> String {
        let (left, top) = (self.px(self.x.0), self.py(self.y.1));
        let (w, h) = (self.px(self.x.1) - left, self.py(self.y.0) - top);
        let rows = self.legend.len() as f64;
        let box_top = if self.legend_at_bottom {
            top + h - 16.0 * rows - 8.0
        } else {
            top + 2.0
        };
        let mut legend = String::new();
        for (i, (label, style)) in self.legend.iter().enumerate() {
            let y = box_top + 12.0 + 16.0 * i as f64;
            let x = self.px(self.x.1) - 190.0;
            let _ = write!(
                legend,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" {}/><text x="{:.1}" y="{:.1}">{}</text>"#,
                x,
                y - 4.0,
                x + 22.0,
                y - 4.0,
                style.attributes(),
                x + 27.0,
                y,
                escape(label)
            );
        }
        let legend = if legend.is_empty() {
            legend
        } else {
            format!(
                r##"<g class="legend"><rect x="{:.1}" y="{box_top:.1}" width="186" height="{:.1}" fill="white" fill-opacity="0.85" stroke="#ccc"/>{legend}</g>"##,
                self.px(self.x.1) - 194.0,
                16.0 * rows + 4.0
            )
        };
        let id = escape(&self.id);
        format!(
            r#"<svg id="{id}" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{t}"><defs><clipPath id="{id}-area"><rect x="{left:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}"/></clipPath></defs><text x="{:.1}" y="18" text-anchor="middle" font-weight="bold">{t}</text>{}{legend}</svg>"#,
            self.width,
            self.height,
            self.width,
            self.height,
            self.width / 2.0,
            self.body,
            t = escape(title),
        )
    }
}

/// Expands (x, y) points of a right-continuous step function into the corners of its staircase.
pub fn step_points(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<b a="1">'&'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn nice_ticks_are_round_steps_inside_the_range() {
        assert_eq!(
            nice_ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(
            nice_ticks(0.0, 37.0, 6),
            vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]
        );
        assert_eq!(nice_ticks(-7.3, -2.1, 5), vec![-7.0, -6.0, -5.0, -4.0, -3.0]);
        assert_eq!(tick_label(0.6000000000000001, &nice_ticks(0.0, 1.0, 5)), "0.6");
    }

    #[test]
    fn step_points_hold_each_value_until_the_next_time() {
        assert_eq!(
            step_points(&[(0.0, 1.0), (2.0, 0.5), (5.0, 0.25)]),
            vec![(0.0, 1.0), (2.0, 1.0), (2.0, 0.5), (5.0, 0.5), (5.0, 0.25)]
        );
    }

    #[test]
    fn path_data_maps_data_to_pixels_with_y_pointing_up() {
        let margins = Margins {
            left: 10.0,
            right: 10.0,
            top: 10.0,
            bottom: 10.0,
        };
        let plot = Plot::new("p", 120.0, 120.0, margins, (0.0, 1.0), (0.0, 1.0));
        assert_eq!(
            plot.path_data(&[(0.0, 0.0), (0.5, 1.0), (1.0, 0.25)]),
            "M10.0 110.0 L60.0 10.0 L110.0 85.0"
        );
    }
}
