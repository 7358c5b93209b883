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
