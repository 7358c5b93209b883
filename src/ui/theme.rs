//! Colours and spacing, in one place.

use egui::{Color32, RichText, Visuals};

use crate::domain::Status;

pub const SEGMENT_LIST_WIDTH: f32 = 300.0;
pub const PREVIEW_WIDTH: f32 = 380.0;
pub const ROW_HEIGHT: f32 = 22.0;
pub const INDENT: f32 = 18.0;

pub fn error_colour(visuals: &Visuals) -> Color32 {
    visuals.error_fg_color
}

/// Background and text colour of a status badge.
pub fn status_colours(status: Status, visuals: &Visuals) -> (Color32, Color32) {
    let dark = visuals.dark_mode;
    match (status, dark) {
        (Status::Active, false) => (Color32::from_rgb(0xd7, 0xf0, 0xdc), Color32::from_rgb(0x1b, 0x5e, 0x20)),
        (Status::Active, true) => (Color32::from_rgb(0x1e, 0x4a, 0x2a), Color32::from_rgb(0xb9, 0xf0, 0xc4)),
        (Status::Draft, false) => (Color32::from_rgb(0xe8, 0xea, 0xf0), Color32::from_rgb(0x37, 0x47, 0x5a)),
        (Status::Draft, true) => (Color32::from_rgb(0x38, 0x40, 0x4c), Color32::from_rgb(0xd0, 0xd8, 0xe4)),
        (Status::Inactive, false) => (Color32::from_rgb(0xf6, 0xe7, 0xcf), Color32::from_rgb(0x7a, 0x4a, 0x00)),
        (Status::Inactive, true) => (Color32::from_rgb(0x52, 0x3c, 0x1a), Color32::from_rgb(0xf3, 0xd9, 0xa6)),
    }
}

/// A small rounded badge with the status name.
pub fn status_badge(ui: &mut egui::Ui, status: Status) -> egui::Response {
    let (fill, text) = status_colours(status, ui.visuals());
    egui::Frame::new()
        .fill(fill)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(5, 1))
        .show(ui, |ui| ui.label(RichText::new(status.to_string()).small().color(text)))
        .inner
}

/// The fill of a heat map cell at `intensity` (0 = nothing shared, 1 = the most shared),
/// and the text colour readable on it, in the light or the dark theme.
pub fn heat_colours(intensity: f32, visuals: &Visuals) -> (Color32, Color32) {
    let t = intensity.clamp(0.0, 1.0);
    let (low, high) = if visuals.dark_mode {
        (Color32::from_rgb(0x2a, 0x2e, 0x35), Color32::from_rgb(0xf0, 0x8a, 0x3c))
    } else {
        (Color32::from_rgb(0xf3, 0xf5, 0xf8), Color32::from_rgb(0xc2, 0x41, 0x0c))
    };
    let fill = low.lerp_to_gamma(high, t);
    let text = match (visuals.dark_mode, t > 0.55) {
        (false, false) => Color32::from_rgb(0x1f, 0x23, 0x28),
        (false, true) => Color32::WHITE,
        (true, false) => Color32::from_rgb(0xe6, 0xe8, 0xeb),
        (true, true) => Color32::from_rgb(0x14, 0x14, 0x14),
    };
    (fill, text)
}

/// The fill of a heat map's diagonal (a segment with itself), apart from the scale.
pub fn heat_diagonal(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode { Color32::from_rgb(0x3a, 0x44, 0x55) } else { Color32::from_rgb(0xdc, 0xe4, 0xf0) }
}

/// Counts in at most five characters: 999, 12,345, 123k, 1.2M.
pub fn compact(n: u64) -> String {
    match n {
        0..=99_999 => thousands(n),
        100_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Thousands separators: 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The gap where a dragged row would land in a reorderable list: a bar across it, on a
/// tinted band when `filled`.
pub fn drop_indicator(ui: &mut egui::Ui, space: egui::Vec2, colour: egui::Color32, filled: bool) {
    let (rect, _) = ui.allocate_exact_size(space, egui::Sense::hover());
    if filled {
        ui.painter().rect_filled(rect.shrink(2.0), 4.0, colour.gamma_multiply(0.15));
    }
    ui.painter().hline(rect.x_range(), rect.center().y, egui::Stroke::new(2.0, colour));
}

/// A finished drag as (the dragged row, its new index), or `None` when it lands where it
/// was. `egui_dnd` gives the insertion point before the dragged row is taken out.
pub fn dnd_move(update: &egui_dnd::DragUpdate) -> Option<(usize, usize)> {
    let to_index = if update.to > update.from { update.to - 1 } else { update.to };
    (to_index != update.from).then_some((update.from, to_index))
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
