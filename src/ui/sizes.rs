//! A segment's size over time: the chart on its Details tab (members at the end of each
//! day, and the day's joins and leaves) and the sparkline beside it in the segment list.

use egui::{Color32, RichText, Stroke};
use egui_plot::{Bar, BarChart, GridInput, GridMark, HoverPosition, Line, Plot, PlotPoints};

use crate::domain::SegmentId;
use crate::domain::size::{SIZE_DAYS, SizeSeries};
use crate::state::{AppState, Loadable};

use super::theme::thousands;

/// Joins, drawn up; leaves, drawn down.
const JOIN_COLOUR: Color32 = Color32::from_rgb(0x3c, 0xa0, 0x5a);
const LEAVE_COLOUR: Color32 = Color32::from_rgb(0xd0, 0x5a, 0x4a);
/// The members line: a middle blue that reads on the light and the dark theme.
const MEMBERS_COLOUR: Color32 = Color32::from_rgb(0x3a, 0x7b, 0xd5);

/// The series of `segment` (with `members` members today), once the history is read.
pub fn series(state: &AppState, segment: SegmentId, members: u64) -> Option<SizeSeries> {
    state.sizes.latest().map(|sizes| sizes.series(segment, members))
}

/// "Members over the last 90 days": a line of the members at the end of each day over
/// bars of the day's joins (up) and leaves (down). Hovering names the day and the figures.
pub fn size_chart_ui(ui: &mut egui::Ui, state: &AppState, segment: SegmentId, members: u64) {
    ui.label(RichText::new(format!("Members over the last {SIZE_DAYS} days")).strong());
    let Some(series) = series(state, segment, members) else {
        let text = match &state.sizes {
            Loadable::Failed { error, .. } => error.clone(),
            _ => "Reading the membership history…".to_owned(),
        };
        ui.label(RichText::new(text).weak());
        return;
    };
    if !series.changed() {
        ui.label(
            RichText::new(format!(
                "{} members; nobody joined or left in the last {SIZE_DAYS} days",
                thousands(members)
            ))
            .weak(),
        );
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let key = |ui: &mut egui::Ui, colour: Color32, text: &str| {
            ui.label(RichText::new("■").color(colour));
            ui.label(RichText::new(text).small().weak());
        };
        key(ui, MEMBERS_COLOUR, "members at the end of the day");
        key(ui, JOIN_COLOUR, "joined");
        key(ui, LEAVE_COLOUR, "left (drawn below zero)");
    });
    let day_text = |x: f64| {
        let index = x.round();
        if index < 0.0 {
            return String::new();
        }
        series.day(index as usize).map(|d| d.strftime("%b %-d").to_string()).unwrap_or_default()
    };
    let points: PlotPoints<'_> =
        series.members.iter().enumerate().map(|(i, &n)| [i as f64, n as f64]).collect::<Vec<_>>().into();
    let joins: Vec<Bar> = bars(&series.joins, 1.0, JOIN_COLOUR);
    let leaves: Vec<Bar> = bars(&series.leaves, -1.0, LEAVE_COLOUR);
    let label = |position: &HoverPosition<'_>| {
        let HoverPosition::NearDataPoint { position, .. } = position else { return None };
        let index = position.x.round();
        if index < 0.0 {
            return None;
        }
        let i = index as usize;
        let members = series.members.get(i)?;
        Some(format!(
            "{}\n{} members\n+{} joined, −{} left",
            day_text(position.x),
            thousands(*members),
            thousands(series.joins.get(i).copied().unwrap_or(0)),
            thousands(series.leaves.get(i).copied().unwrap_or(0))
        ))
    };
    Plot::new(("segment_size", segment.0))
        .height(150.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
        .x_grid_spacer(weekly)
        .x_axis_formatter(move |mark, _| day_text(mark.value))
        .y_axis_formatter(|mark, _| thousands(mark.value.abs().round() as u64))
        .label_formatter(label)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("Joined", joins).color(JOIN_COLOUR));
            plot.bar_chart(BarChart::new("Left", leaves).color(LEAVE_COLOUR));
            plot.line(Line::new("Members", points).color(MEMBERS_COLOUR).width(2.0));
        });
}

/// A labelled mark every other week back from today, a faint one each week between.
fn weekly(input: GridInput) -> Vec<GridMark> {
    let last = SIZE_DAYS - 1;
    let (low, high) = input.bounds;
    (0..=last)
        .filter(|&i| (last - i).is_multiple_of(7) && (i as f64) >= low.floor() && (i as f64) <= high.ceil())
        .map(|i| GridMark { value: i as f64, step_size: if (last - i).is_multiple_of(14) { 14.0 } else { 7.0 } })
        .collect()
}

fn bars(counts: &[u64], sign: f64, colour: Color32) -> Vec<Bar> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, &n)| Bar::new(i as f64, sign * n as f64).width(0.8).fill(colour))
        .collect()
}

/// A small line of the members per day, scaled to its own range; nothing when nobody
/// joined or left (a flat line says nothing the count does not).
pub fn sparkline_ui(ui: &mut egui::Ui, series: &SizeSeries, size: egui::Vec2) -> Option<egui::Response> {
    if !series.changed() || series.members.len() < 2 {
        return None;
    }
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    let low = series.members.iter().copied().min().unwrap_or(0) as f32;
    let high = series.members.iter().copied().max().unwrap_or(0) as f32;
    let span = (high - low).max(1.0);
    let last = (series.members.len() - 1) as f32;
    let points: Vec<egui::Pos2> = series
        .members
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let x = rect.left() + rect.width() * i as f32 / last;
            let y = rect.bottom() - rect.height() * (n as f32 - low) / span;
            egui::pos2(x, y)
        })
        .collect();
    let colour = ui.visuals().widgets.inactive.fg_stroke.color;
    ui.painter().add(egui::Shape::line(points, Stroke::new(1.0, colour)));
    let first = series.members.first().copied().unwrap_or(0);
    let now = series.members.last().copied().unwrap_or(0);
    Some(response.on_hover_text(format!(
        "{} → {} members over the last {SIZE_DAYS} days",
        thousands(first),
        thousands(now)
    )))
}
