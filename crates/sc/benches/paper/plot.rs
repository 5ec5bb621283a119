//! CSV files and PNG charts (plotters' bitmap backend).
//!
//! Text needs a TrueType font, read at run time so that nothing is linked:
//! `$TESSERA_PLOT_FONT`, else DejaVu Sans or Liberation Sans where Debian,
//! Fedora and Arch put them (`apt-get install fonts-dejavu-core`). Without
//! one the charts are skipped and the CSV files still written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

const FONT_PATHS: [&str; 5] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Registers the first font found as plotters' sans-serif; the path used.
pub fn font() -> Option<&'static Path> {
    static FONT: OnceLock<Option<PathBuf>> = OnceLock::new();
    FONT.get_or_init(|| {
        let candidates = std::env::var_os("TESSERA_PLOT_FONT")
            .map(PathBuf::from)
            .into_iter()
            .chain(FONT_PATHS.iter().map(PathBuf::from));
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                // plotters keeps fonts for the life of the process.
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return Some(path);
                }
            }
        }
        None
    })
    .as_deref()
}

pub fn write_csv(path: &Path, header: &str, rows: impl IntoIterator<Item = String>) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create CSV"));
    writeln!(file, "{header}").expect("write CSV");
    for row in rows {
        writeln!(file, "{row}").expect("write CSV");
    }
    file.flush().expect("write CSV");
}

/// Points (a scatter) or a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Points,
    Line,
    /// A dashed-looking thin line for reference values.
    Guide,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub mark: Mark,
    pub points: Vec<(f64, f64)>,
}

/// One panel. With `x_log`/`y_log` values are plotted as log10 and the
/// axis labelled in the original units.
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    /// Forces the y range to start at zero (linear axes only).
    pub y_from_zero: bool,
    /// Legend in the lower right instead of the upper left.
    pub legend_low: bool,
    pub series: Vec<Series>,
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
];

fn axis_value(v: f64, log: bool) -> f64 {
    if log { v.max(1e-12).log10() } else { v }
}

fn tick(v: f64, log: bool) -> String {
    let v = if log { 10f64.powf(v) } else { v };
    // Two significant digits on log axes (their ticks fall anywhere).
    let v = if log && v != 0.0 {
        let scale = 10f64.powf(v.abs().log10().floor() - 1.0);
        (v / scale).round() * scale
    } else {
        v
    };
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e6 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 1.0 || a == 0.0 {
        trim(format!("{v:.2}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

/// Draws `charts` side by side into a PNG of `size` pixels; false when no
/// font is available.
pub fn draw(path: &Path, size: (u32, u32), charts: &[Chart]) -> bool {
    if font().is_none() {
        return false;
    }
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).expect("fill");
    let panels = root.split_evenly((1, charts.len()));
    for (panel, chart) in panels.iter().zip(charts) {
        draw_chart(panel, chart);
    }
    root.present().expect("write PNG");
    true
}

fn draw_chart(area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>, chart: &Chart) {
    let all: Vec<(f64, f64)> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|&(x, y)| (axis_value(x, chart.x_log), axis_value(y, chart.y_log)))
        .collect();
    let range = |values: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let pad = ((hi - lo) * 0.05).max(1e-9);
        (lo - pad)..(hi + pad)
    };
    let x_range = range(&mut all.iter().map(|p| p.0));
    let mut y_range = range(&mut all.iter().map(|p| p.1));
    if chart.y_from_zero && !chart.y_log {
        y_range.start = 0.0;
    }
    let mut ctx = ChartBuilder::on(area)
        .caption(&chart.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d(x_range, y_range)
        .expect("chart");
    let (x_log, y_log) = (chart.x_log, chart.y_log);
    let x_fmt = move |v: &f64| tick(*v, x_log);
    let y_fmt = move |v: &f64| tick(*v, y_log);
    ctx.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .expect("mesh");
    let mut colour = 0;
    for series in &chart.series {
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(x, y)| (axis_value(x, x_log), axis_value(y, y_log)))
            .collect();
        let label = series.label.clone();
        match series.mark {
            Mark::Points => {
                let c = COLOURS[colour % COLOURS.len()];
                colour += 1;
                let radius = if points.len() > 200 { 2 } else { 3 };
                ctx.draw_series(
                    points
                        .iter()
                        .map(move |&p| Circle::new(p, radius, c.mix(0.55).filled())),
                )
                .expect("points")
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
            }
            Mark::Line => {
                let c = COLOURS[colour % COLOURS.len()];
                colour += 1;
                ctx.draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
                    .expect("line")
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                    });
                ctx.draw_series(points.iter().map(move |&p| Circle::new(p, 3, c.filled())))
                    .expect("line points");
            }
            Mark::Guide => {
                let c = RGBColor(0x70, 0x70, 0x70);
                ctx.draw_series(LineSeries::new(points, c.stroke_width(1)))
                    .expect("guide")
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c));
            }
        }
    }
    ctx.configure_series_labels()
        .position(if chart.legend_low {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperLeft
        })
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .expect("legend");
}
