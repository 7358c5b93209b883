//! The sellers' load: a bar per seller with a capacity, of the records they own by
//! assignment as a share of that capacity (red at or over it), and a line naming the
//! sellers without a limit and their counts. On the Sellers & teams screen while no seller
//! is selected.

use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, GridMark, Plot, VLine};

use crate::state::WorkspaceView;
use crate::state::sellers::SellersState;

use super::theme::thousands;

const OPEN_COLOUR: Color32 = Color32::from_rgb(0x3a, 0x7b, 0xd5);
const FULL_COLOUR: Color32 = Color32::from_rgb(0xd0, 0x5a, 0x4a);
/// Height of a seller's row: enough for `egui_plot` to label every row with the name.
const ROW: f32 = 24.0;

pub fn seller_load_ui(ui: &mut egui::Ui, sellers: &SellersState, view: &WorkspaceView) {
    ui.label(RichText::new("Open records against capacity").strong());
    let open = |id| sellers.open.get(&id).copied().unwrap_or(0);
    let capped: Vec<(&str, u64, u32)> =
        view.sellers.iter().filter_map(|s| s.capacity.map(|c| (s.name.as_str(), open(s.id), c))).collect();
    let unlimited: Vec<String> = view
        .sellers
        .iter()
        .filter(|s| s.capacity.is_none())
        .map(|s| format!("{} {}", s.name, thousands(open(s.id))))
        .collect();
    if !unlimited.is_empty() {
        ui.label(RichText::new(format!("No limit: {}", unlimited.join(" · "))).small().weak());
    }
    if capped.is_empty() {
        return;
    }
    let full = capped.iter().filter(|(_, open, capacity)| *open >= u64::from(*capacity)).count();
    ui.label(
        RichText::new(format!("{full} of {} sellers with a limit are at or over it", capped.len())).small().weak(),
    );
    let count = capped.len();
    // The first seller on top: bar `i` sits at `count - 1 - i`.
    let at = |i: usize| (count - 1 - i) as f64;
    let bars: Vec<Bar> = capped
        .iter()
        .enumerate()
        .map(|(i, (name, open, capacity))| {
            let share = *open as f64 / f64::from((*capacity).max(1)) * 100.0;
            let colour = if *open >= u64::from(*capacity) { FULL_COLOUR } else { OPEN_COLOUR };
            let text =
                format!("{name}: {} open of {} ({share:.0} %)", thousands(*open), thousands(u64::from(*capacity)));
            Bar::new(at(i), share).width(0.7).fill(colour).name(text)
        })
        .collect();
    let names: Vec<String> = capped.iter().map(|(name, ..)| (*name).to_owned()).collect();
    let name_at = move |y: f64| {
        let index = y.round();
        if (y - index).abs() > 0.01 || index < 0.0 {
            return String::new();
        }
        count.checked_sub(1 + index as usize).and_then(|i| names.get(i)).cloned().unwrap_or_default()
    };
    Plot::new("seller_load")
        .height(count as f32 * ROW + 40.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(0.0)
        .include_x(110.0)
        .y_axis_min_width(120.0)
        .y_axis_formatter(move |mark, _| name_at(mark.value))
        .y_grid_spacer(move |_| (0..count).map(|i| GridMark { value: i as f64, step_size: 1.0 }).collect())
        .x_axis_formatter(|mark, _| if mark.value < 0.0 { String::new() } else { format!("{:.0} %", mark.value) })
        .show(ui, |plot| {
            plot.vline(VLine::new("Capacity", 100.0).color(FULL_COLOUR));
            plot.bar_chart(
                BarChart::new("Open records", bars).horizontal().element_formatter(Box::new(|bar, _| bar.name.clone())),
            );
        });
}
