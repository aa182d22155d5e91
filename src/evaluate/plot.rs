//! Precision-recall and ROC curves of one or several predictions, drawn as one SVG
//! with plotters: PR on the left, ROC on the right, AUPR/AUROC in the legends and the
//! random-predictor baselines dashed.
//!
//! PR curves are drawn as steps (precision is constant between two recall levels),
//! the shape whose area is the average precision that [`evaluate::score`] reports;
//! ROC curves are straight segments, whose area is the AUROC. Points closer than a
//! thousandth of the axis to the last drawn one are skipped (below a pixel at the
//! drawn size), so a million-pair prediction still gives a small file.
//!
//! [`evaluate::score`]: crate::evaluate::score

use std::path::Path;

use plotters::prelude::*;

use super::{Curves, Metrics};
use crate::files::{self, FileError};

/// One prediction to draw.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Legend label (e.g. the file name).
    pub label: &'a str,
    /// Its curves.
    pub curves: &'a Curves,
    /// Its scores, shown in the legend; `n_true / n_pairs` gives the PR baseline.
    pub metrics: &'a Metrics,
}

/// Why the plot could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Nothing to draw.
    #[error("no prediction to plot")]
    Empty,
    /// Drawing failed.
    #[error("cannot draw the plot: {0}")]
    Draw(String),
    /// Writing the file failed.
    #[error(transparent)]
    File(#[from] FileError),
}

/// Okabe & Ito (2008) colour-blind-safe palette (black left for the baselines).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
];

/// Size of the whole figure in pixels (two square-ish panels).
const SIZE: (u32, u32) = (1200, 560);

/// Drops points closer than `RESOLUTION` (fraction of the unit axes) to the last
/// kept one; the first and last points are always kept.
fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    const RESOLUTION: f64 = 1e-3;
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, &p) in points.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(&(x, y)) => {
                i + 1 == points.len()
                    || (p.0 - x).abs() > RESOLUTION
                    || (p.1 - y).abs() > RESOLUTION
            }
        };
        if keep {
            out.push(p);
        }
    }
    out
}

/// The PR curve as steps: precision p_i holds over recall (r_{i-1}, r_i].
fn pr_steps(pr: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(2 * pr.len() + 1);
    let mut last_r = 0.0;
    for &(r, p) in pr {
        out.push((last_r, p));
        out.push((r, p));
        last_r = r;
    }
    out
}

fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// Draws the curves into an SVG string.
pub fn render_svg(series: &[Series]) -> Result<String, PlotError> {
    if series.is_empty() {
        return Err(PlotError::Empty);
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let panels = [
            (left, "Precision-recall", "Recall", "Precision", true),
            (
                right,
                "ROC",
                "False positive rate",
                "True positive rate",
                false,
            ),
        ];
        for (area, title, x_desc, y_desc, is_pr) in panels {
            let mut chart = ChartBuilder::on(&area)
                .caption(title, ("sans-serif", 22))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..1.0, 0.0..1.0)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc(y_desc)
                .light_line_style(WHITE)
                .draw()
                .map_err(draw_err)?;
            for (i, s) in series.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                let (points, label) = if is_pr {
                    (
                        thin(&pr_steps(&s.curves.pr)),
                        format!("{} (AUPR {:.3})", s.label, s.metrics.aupr),
                    )
                } else {
                    (
                        thin(&s.curves.roc),
                        format!("{} (AUROC {:.3})", s.label, s.metrics.auroc),
                    )
                };
                chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                    .map_err(draw_err)?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                    });
            }
            // Random predictor: precision = density of true pairs; TPR = FPR.
            let m = series[0].metrics;
            let density = m.n_true as f64 / m.n_pairs.max(1) as f64;
            let baseline = if is_pr {
                vec![(0.0, density), (1.0, density)]
            } else {
                vec![(0.0, 0.0), (1.0, 1.0)]
            };
            chart
                .draw_series(DashedLineSeries::new(
                    baseline,
                    6,
                    4,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(draw_err)?
                .label("random")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5).stroke_width(1))
                });
            chart
                .configure_series_labels()
                .position(if is_pr {
                    SeriesLabelPosition::UpperRight
                } else {
                    SeriesLabelPosition::LowerRight
                })
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .draw()
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// Draws the curves into an SVG file, atomically.
pub fn save_svg(path: &Path, series: &[Series]) -> Result<(), PlotError> {
    let svg = render_svg(series)?;
    files::write_atomic(path, |w| w.write_all(svg.as_bytes()))?;
    Ok(())
}

/// One panel of a line chart: lines of (x, y) points with markers, one per
/// labelled series.
#[derive(Debug, Clone, Copy)]
pub struct LinePanel<'a> {
    /// Caption above the panel.
    pub title: &'a str,
    /// X axis label.
    pub x_desc: &'a str,
    /// Y axis label.
    pub y_desc: &'a str,
    /// (label, points) per line.
    pub series: &'a [(&'a str, &'a [(f64, f64)])],
}

/// Panel size in pixels.
const PANEL: (u32, u32) = (620, 460);

/// Draws line-chart panels (e.g. a score against a parameter) in a grid of
/// `columns` into an SVG file, atomically; each panel's axes fit its data, y = 0
/// dashed. A series' colour follows its position, so the same position in every
/// panel is the same colour.
pub fn save_lines_svg(path: &Path, panels: &[LinePanel], columns: usize) -> Result<(), PlotError> {
    let has_points = |p: &LinePanel| p.series.iter().any(|s| !s.1.is_empty());
    if panels.is_empty() || !panels.iter().all(has_points) {
        return Err(PlotError::Empty);
    }
    let columns = columns.clamp(1, panels.len());
    let rows = panels.len().div_ceil(columns);
    let size = (PANEL.0 * columns as u32, PANEL.1 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        for (panel, area) in panels.iter().zip(root.split_evenly((rows, columns))) {
            draw_lines(&area, panel)?;
        }
        root.present().map_err(draw_err)?;
    }
    files::write_atomic(path, |w| w.write_all(svg.as_bytes()))?;
    Ok(())
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &LinePanel,
) -> Result<(), PlotError> {
    let points = || panel.series.iter().flat_map(|s| s.1.iter());
    let span = |f: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = points()
            .map(f)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            });
        let pad = ((hi - lo) * 0.08).max(1e-3);
        (lo - pad)..(hi + pad)
    };
    let (xs, ys) = (span(|p| p.0), span(|p| p.1));
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(xs.clone(), ys)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(panel.x_desc)
        .y_desc(panel.y_desc)
        .light_line_style(WHITE)
        .draw()
        .map_err(draw_err)?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(xs.start, 0.0), (xs.end, 0.0)],
            6,
            4,
            BLACK.mix(0.5).stroke_width(1),
        ))
        .map_err(draw_err)?;
    for (i, (label, pts)) in panel.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(pts.to_vec(), colour.stroke_width(2)))
            .map_err(draw_err)?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(draw_err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_charts_draw_labelled_series() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gain.svg");
        let pts = [(0.25, 0.04), (0.5, 0.1), (1.0, 0.11)];
        let series: [(&str, &[(f64, f64)]); 1] = [("strength 0.5", &pts)];
        let panel = |title| LinePanel {
            title,
            x_desc: "precision",
            y_desc: "AUPR gain",
            series: &series,
        };
        save_lines_svg(&path, &[panel("DREAM4"), panel("simulated")], 2).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("strength 0.5"));
        assert!(svg.contains("DREAM4") && svg.contains("simulated"));
        assert!(matches!(
            save_lines_svg(&path, &[], 1),
            Err(PlotError::Empty)
        ));
        let none: [(&str, &[(f64, f64)]); 0] = [];
        let empty = LinePanel {
            series: &none,
            ..panel("t")
        };
        assert!(matches!(
            save_lines_svg(&path, &[panel("a"), empty], 2),
            Err(PlotError::Empty)
        ));
    }

    #[test]
    fn steps_and_thinning() {
        let steps = pr_steps(&[(0.5, 1.0), (1.0, 0.5)]);
        assert_eq!(steps, [(0.0, 1.0), (0.5, 1.0), (0.5, 0.5), (1.0, 0.5)]);
        let dense: Vec<(f64, f64)> = (0..=100_000).map(|i| (i as f64 / 1e5, 0.5)).collect();
        let thinned = thin(&dense);
        assert!(thinned.len() <= 1001 + 1, "{}", thinned.len());
        assert_eq!(thinned.last(), Some(&(1.0, 0.5)));
        assert_eq!(thinned[0], (0.0, 0.5));
    }
}
