//! The SVG chart of each scenario's ratio (Rustmost / minimal server), one bar per run.

use plotters::prelude::*;

/// One bar group: a scenario and its ratio in each run (e.g. before, after).
pub struct Bar {
    pub scenario: String,
    pub ratios: Vec<f64>,
}

/// Draws horizontal bars for `bars`, with a line at 1.0; `runs` names the bars of a group.
pub fn draw(
    path: &std::path::Path,
    title: &str,
    runs: &[&str],
    bars: &[Bar],
) -> anyhow::Result<()> {
    let height = 80 + bars.len() as u32 * (12 * runs.len() as u32 + 14);
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = bars
        .iter()
        .flat_map(|b| b.ratios.iter().copied())
        .fold(1.2_f64, f64::max)
        * 1.1;
    let rows = bars.len() * (runs.len() + 1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(330)
        .build_cartesian_2d(0.0..max, 0..rows)?;
    let labels: Vec<String> = bars.iter().map(|b| b.scenario.clone()).collect();
    let per = runs.len() + 1;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows)
        .y_label_formatter(&|y| {
            let (group, slot) = (y / per, y % per);
            if slot == runs.len() / 2 && group < labels.len() {
                labels[labels.len() - 1 - group].clone()
            } else {
                String::new()
            }
        })
        .x_desc("ratio to the minimal server (same run)")
        .draw()?;
    let colors = [
        RGBColor(160, 160, 160),
        RGBColor(30, 110, 200),
        RGBColor(230, 120, 30),
    ];
    for (r, name) in runs.iter().enumerate() {
        let color = colors[r % colors.len()];
        chart
            .draw_series(bars.iter().rev().enumerate().filter_map(|(g, b)| {
                let v = *b.ratios.get(r)?;
                let y = g * per + (runs.len() - 1 - r);
                Some(Rectangle::new([(0.0, y), (v, y + 1)], color.filled()))
            }))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart.draw_series(LineSeries::new([(1.0, 0), (1.0, rows)], BLACK))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    root.present()?;
    Ok(())
}
