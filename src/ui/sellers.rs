//! The Sellers & teams screen: the sellers list with its editor (one selected) or bulk
//! panel (several selected), teams with their members, and seller attribute definitions.

use egui::{RichText, ScrollArea, TextEdit};
use egui_extras::{Column, TableBuilder};

use crate::domain::people::WEEKDAYS;
use crate::domain::{Seller, SellerId};
use crate::state::WorkspaceView;
use crate::state::sellers::{
    AttributeForm, BulkForm, PeriodForm, SellerEditor, SellersCommand, SellersConfirm, SellersState, SellersTab,
    TeamForm, TimeOffForm,
};
use crate::state::{AppState, Command};

use super::theme;

const DETAIL_WIDTH: f32 = 480.0;
/// Wide enough for "09:00" and the cursor.
const TIME_WIDTH: f32 = 52.0;

fn send(commands: &mut Vec<Command>, command: SellersCommand) {
    commands.push(Command::Sellers(command));
}

pub fn screen_ui(ui: &mut egui::Ui, state: &AppState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let sellers = &state.sellers;
    if sellers.loaded_for.as_ref() != Some(&view.path) {
        send(commands, SellersCommand::Load);
    }
    egui::Panel::top("sellers_tabs").show(ui, |ui| {
        ui.horizontal(|ui| {
            for tab in SellersTab::ALL {
                let label = match tab {
                    SellersTab::Sellers => format!("Sellers ({})", view.sellers.len()),
                    SellersTab::Teams => format!("Teams ({})", view.teams.len()),
                    SellersTab::Attributes => format!("Attributes ({})", sellers.definitions.len()),
                };
                if ui.selectable_label(sellers.tab == tab, label).clicked() {
                    send(commands, SellersCommand::ShowTab(tab));
                }
            }
            ui.separator();
            match sellers.tab {
                SellersTab::Sellers => {
                    if ui.button("Add seller…").clicked() {
                        send(commands, SellersCommand::StartAddSeller);
                    }
                }
                SellersTab::Teams => {
                    if ui.button("New team…").clicked() {
                        send(commands, SellersCommand::StartNewTeam);
                    }
                }
                SellersTab::Attributes => {
                    if ui.button("New attribute…").clicked() {
                        send(commands, SellersCommand::StartNewAttribute);
                    }
                }
            }
        });
    });
    match sellers.tab {
        SellersTab::Sellers => sellers_tab_ui(ui, sellers, view, commands),
        SellersTab::Teams => teams_tab_ui(ui, sellers, view, commands),
        SellersTab::Attributes => attributes_tab_ui(ui, sellers, view, commands),
    }
    confirm_ui(ui, sellers, commands);
}

// ---------------------------------------------------------------------------------------
// Sellers

fn sellers_tab_ui(ui: &mut egui::Ui, sellers: &SellersState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    egui::Panel::right("seller_detail").resizable(true).default_size(DETAIL_WIDTH).min_size(360.0).show(ui, |ui| {
        ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            if let Some(editor) = &sellers.editor {
                seller_editor_ui(ui, sellers, editor, commands);
            } else if sellers.selected.len() > 1 {
                bulk_ui(ui, sellers, &sellers.bulk, commands);
            } else {
                empty_note(ui, &["Select a seller to edit it", "Ctrl- or Shift-click to change several at once"]);
                ui.add_space(16.0);
                super::load::seller_load_ui(ui, sellers, view);
            }
        });
    });
    egui::CentralPanel::default().show(ui, |ui| {
        if view.sellers.is_empty() {
            empty_note(ui, &["No sellers yet — Add seller…"]);
            return;
        }
        ui.horizontal(|ui| {
            let label = ui.label("Search sellers");
            let mut search = sellers.search.clone();
            let edit =
                ui.add(TextEdit::singleline(&mut search).hint_text("Name, email or attribute").desired_width(240.0));
            if edit.labelled_by(label.id).changed() {
                send(commands, SellersCommand::SetSearch(search));
            }
            if !sellers.selected.is_empty() {
                ui.label(RichText::new(format!("{} selected", sellers.selected.len())).weak());
                if ui.small_button("Clear selection").clicked() {
                    send(commands, SellersCommand::SelectSellers { ids: Vec::new(), anchor: None });
                }
            }
        });
        let shown: Vec<&Seller> = view.sellers.iter().filter(|s| matches_search(s, &sellers.search)).collect();
        if shown.is_empty() {
            empty_note(ui, &["No seller matches the search"]);
            return;
        }
        sellers_table_ui(ui, sellers, &shown, commands);
    });
}

fn matches_search(seller: &Seller, search: &str) -> bool {
    let search = search.trim().to_lowercase();
    search.is_empty()
        || seller.name.to_lowercase().contains(&search)
        || seller.email.to_lowercase().contains(&search)
        || seller.attributes.values().flatten().any(|v| v.to_lowercase().contains(&search))
}

/// The values a seller holds, attribute by attribute ("English, German · DACH"): the
/// attribute names are the same on every row, so the narrow column shows what differs.
fn attributes_summary(seller: &Seller) -> String {
    seller
        .attributes
        .values()
        .filter(|values| !values.is_empty())
        .map(|values| values.join(", "))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn sellers_table_ui(ui: &mut egui::Ui, sellers: &SellersState, shown: &[&Seller], commands: &mut Vec<Command>) {
    let modifiers = ui.input(|i| i.modifiers);
    let selection = |clicked: SellerId, toggle: bool, range: bool| -> SellersCommand {
        let mut ids: Vec<SellerId> = sellers.selected.iter().copied().collect();
        if range && let Some(anchor) = sellers.anchor {
            let at = |id: SellerId| shown.iter().position(|s| s.id == id);
            if let (Some(a), Some(b)) = (at(anchor), at(clicked)) {
                let (from, to) = (a.min(b), a.max(b));
                ids.extend(shown[from..=to].iter().map(|s| s.id));
                return SellersCommand::SelectSellers { ids, anchor: Some(anchor) };
            }
        }
        if toggle {
            if let Some(at) = ids.iter().position(|id| *id == clicked) {
                ids.remove(at);
            } else {
                ids.push(clicked);
            }
        } else {
            ids = vec![clicked];
        }
        SellersCommand::SelectSellers { ids, anchor: Some(clicked) }
    };
    TableBuilder::new(ui)
        .id_salt("sellers_table")
        .striped(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(24.0))
        .column(Column::initial(170.0).at_least(80.0).clip(true).resizable(true))
        .column(Column::initial(200.0).at_least(80.0).clip(true).resizable(true))
        .column(Column::initial(130.0).at_least(60.0).clip(true).resizable(true))
        .column(Column::initial(72.0).at_least(50.0).clip(true).resizable(true))
        .column(Column::initial(64.0).at_least(40.0).clip(true).resizable(true))
        .column(Column::remainder().at_least(80.0).clip(true))
        .header(theme::ROW_HEIGHT, |mut header| {
            header.col(|_| {});
            for title in ["Name", "Email", "Time zone", "Capacity", "Assign", "Attributes"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, shown.len(), |mut row| {
                let Some(seller) = shown.get(row.index()).copied() else { return };
                let ticked = sellers.selected.contains(&seller.id);
                row.set_selected(ticked);
                row.col(|ui| {
                    let mut tick = ticked;
                    let name = format!("Select {}", seller.name);
                    let response = ui.checkbox(&mut tick, "");
                    response
                        .widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, ticked, name.clone()));
                    if response.clicked() {
                        send(commands, selection(seller.id, true, false));
                    }
                });
                let cell = |ui: &mut egui::Ui, text: String, weak: bool| {
                    let text = if weak { RichText::new(text).weak() } else { RichText::new(text) };
                    ui.add(egui::Label::new(text).truncate().selectable(false));
                };
                row.col(|ui| cell(ui, seller.name.clone(), false));
                row.col(|ui| cell(ui, seller.email.clone(), false));
                row.col(|ui| cell(ui, seller.time_zone.clone(), false));
                row.col(|ui| match seller.capacity {
                    Some(n) => cell(ui, n.to_string(), false),
                    None => cell(ui, "Unlimited".into(), true),
                });
                row.col(|ui| {
                    cell(ui, if seller.assign_records { "On".into() } else { "Off".into() }, !seller.assign_records);
                });
                row.col(|ui| cell(ui, attributes_summary(seller), true));
                let response = row.response();
                if response.clicked() {
                    send(commands, selection(seller.id, modifiers.command, modifiers.shift));
                }
            });
        });
}

fn seller_editor_ui(ui: &mut egui::Ui, sellers: &SellersState, editor: &SellerEditor, commands: &mut Vec<Command>) {
    let mut form = editor.clone();
    let title = match &editor.original {
        Some(s) => format!("{} · #{}", s.name, s.id.0),
        None => "New seller".to_owned(),
    };
    ui.heading(title);
    ui.add_space(4.0);
    seller_fields_ui(ui, &mut form);
    seller_attributes_ui(ui, sellers, editor, &mut form);
    work_hours_ui(ui, &mut form);
    time_off_ui(ui, &mut form);
    seller_actions_ui(ui, editor, &form, commands);
    if form != *editor {
        form.error = None;
        send(commands, SellersCommand::EditSeller(Box::new(form)));
    }
}

/// Name, email, time zone, capacity and whether rules assign to the seller.
fn seller_fields_ui(ui: &mut egui::Ui, form: &mut SellerEditor) {
    egui::Grid::new("seller_form").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        let label = ui.label("Name");
        ui.add(TextEdit::singleline(&mut form.name).desired_width(280.0)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Email");
        ui.add(TextEdit::singleline(&mut form.email).hint_text("name@example.com").desired_width(280.0))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Time zone");
        super::settings::time_zone_picker_ui(
            ui,
            "seller_time_zone",
            &mut form.time_zone,
            &mut form.time_zone_search,
            label.id,
        );
        ui.end_row();
        ui.label("Capacity");
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.unlimited, true, "Unlimited");
            ui.radio_value(&mut form.unlimited, false, "At most");
            let edit = ui.add_enabled(
                !form.unlimited,
                TextEdit::singleline(&mut form.capacity).hint_text("25").desired_width(60.0),
            );
            edit.widget_info(|| text_info(form.capacity.as_str(), "Open records at most"));
            ui.label("open records");
        });
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut form.assign_records, "Assign records")
            .on_hover_text("When off, assignment rules skip this seller");
        ui.end_row();
    });
}

/// The attribute values the seller holds, one tick box per defined value; values held that
/// are no longer defined are listed with a Remove button.
fn seller_attributes_ui(ui: &mut egui::Ui, sellers: &SellersState, editor: &SellerEditor, form: &mut SellerEditor) {
    section(ui, "Attributes");
    if sellers.definitions.is_empty() {
        ui.label(RichText::new("No attributes defined yet — add them on the Attributes tab").weak());
    }
    for definition in &sellers.definitions {
        ui.horizontal_wrapped(|ui| {
            // A value that does not fit goes to the next line whole, never letter by letter.
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            ui.label(RichText::new(&definition.name).strong());
            if definition.values.is_empty() {
                ui.label(RichText::new("no values defined").weak());
            }
            for value in &definition.values {
                let held = form.attributes.get(&definition.name).is_some_and(|vs| vs.contains(value));
                let mut tick = held;
                // Added straight into the wrapping row (not in a child scope, which the row
                // could not move to the next line as a whole).
                if ui.checkbox(&mut tick, value).changed() {
                    let values = form.attributes.entry(definition.name.clone()).or_default();
                    if tick {
                        values.push(value.clone());
                        values.sort_by_key(|v| definition.values.iter().position(|d| d == v));
                    } else {
                        values.retain(|v| v != value);
                    }
                }
            }
        });
    }
    // Values held that the definitions no longer have (from older data): shown so they can go.
    for (name, values) in &editor.attributes {
        let defined = sellers.definitions.iter().find(|d| &d.name == name);
        for value in values.iter().filter(|v| !defined.is_some_and(|d| d.values.contains(v))) {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!("{name}: {value} (not defined)")).color(theme::error_colour(ui.visuals())),
                );
                if ui.push_id((name, value), |ui| ui.small_button("Remove")).inner.clicked()
                    && let Some(held) = form.attributes.get_mut(name)
                {
                    held.retain(|v| v != value);
                }
            });
        }
    }
}

fn work_hours_ui(ui: &mut egui::Ui, form: &mut SellerEditor) {
    section(ui, "Weekly work hours");
    if form.periods.is_empty() {
        ui.label(RichText::new("No schedule: always available").weak());
    }
    egui::Grid::new("work_hours").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        for (index, day) in WEEKDAYS.iter().enumerate() {
            let weekday = index as u8 + 1;
            ui.label(*day);
            ui.horizontal_wrapped(|ui| {
                let mut remove = None;
                for (at, period) in form.periods.iter_mut().enumerate().filter(|(_, p)| p.weekday == weekday) {
                    ui.push_id(("period", at), |ui| {
                        ui.add(TextEdit::singleline(&mut period.start).desired_width(TIME_WIDTH))
                            .widget_info(|| text_info(period.start.as_str(), format!("{day} from")));
                        ui.label("–");
                        ui.add(TextEdit::singleline(&mut period.end).desired_width(TIME_WIDTH))
                            .widget_info(|| text_info(period.end.as_str(), format!("{day} to")));
                        if ui.small_button("×").on_hover_text("Remove this period").clicked() {
                            remove = Some(at);
                        }
                    });
                }
                if let Some(at) = remove {
                    form.periods.remove(at);
                }
                let add = ui.small_button("+").on_hover_text(format!("Add a period on {day}"));
                add.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Add hours on {day}")));
                if add.clicked() {
                    let (start, end) = match form.periods.iter().rfind(|p| p.weekday == weekday) {
                        Some(last) => (last.end.clone(), String::new()),
                        None => ("09:00".to_owned(), "17:00".to_owned()),
                    };
                    form.periods.push(PeriodForm { weekday, start, end });
                    form.periods.sort_by_key(|p| p.weekday);
                }
            });
            ui.end_row();
        }
    });
}

fn time_off_ui(ui: &mut egui::Ui, form: &mut SellerEditor) {
    section(ui, "Time off");
    if form.time_off.is_empty() {
        ui.label(RichText::new("No time off").weak());
    }
    let mut remove = None;
    for (at, off) in form.time_off.iter_mut().enumerate() {
        ui.push_id(("time_off", at), |ui| {
            ui.horizontal(|ui| {
                ui.add(TextEdit::singleline(&mut off.start).hint_text("2026-08-01 09:00").desired_width(120.0))
                    .widget_info(|| text_info(off.start.as_str(), "Time off from"));
                ui.label("to");
                ui.add(TextEdit::singleline(&mut off.end).hint_text("2026-08-15 18:00").desired_width(120.0))
                    .widget_info(|| text_info(off.end.as_str(), "Time off until"));
                ui.add(TextEdit::singleline(&mut off.reason).hint_text("Reason").desired_width(100.0));
                if ui.small_button("×").on_hover_text("Remove this time off").clicked() {
                    remove = Some(at);
                }
            });
        });
    }
    if let Some(at) = remove {
        form.time_off.remove(at);
    }
    if ui.small_button("Add time off").clicked() {
        form.time_off.push(TimeOffForm { start: String::new(), end: String::new(), reason: String::new() });
    }
}

/// The form's problems, the last save's error, and Save / Discard / Delete.
fn seller_actions_ui(ui: &mut egui::Ui, editor: &SellerEditor, form: &SellerEditor, commands: &mut Vec<Command>) {
    ui.add_space(8.0);
    let hints = form.hints();
    for hint in &hints {
        ui.label(RichText::new(hint).color(theme::error_colour(ui.visuals())));
    }
    if let Some(error) = &editor.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let dirty = editor.is_dirty();
        let save = if editor.original.is_none() { "Add seller" } else { "Save" };
        if ui.add_enabled(dirty, egui::Button::new(save)).clicked() {
            send(commands, SellersCommand::SaveSeller);
        }
        let discard = if editor.original.is_none() { "Cancel" } else { "Discard" };
        if ui.add_enabled(dirty || editor.original.is_none(), egui::Button::new(discard)).clicked() {
            send(commands, SellersCommand::DiscardSeller);
        }
        if let Some(original) = &editor.original {
            ui.add_space(16.0);
            if ui.button("Delete…").clicked() {
                send(commands, SellersCommand::AskDeleteSeller(original.id));
            }
        }
    });
}

fn bulk_ui(ui: &mut egui::Ui, sellers: &SellersState, bulk: &BulkForm, commands: &mut Vec<Command>) {
    let mut form = bulk.clone();
    let count = sellers.selected.len();
    ui.heading(format!("Set for {count} sellers"));
    ui.label(RichText::new("Only what you choose here changes; everything else stays as each seller has it").weak());

    section(ui, "Attribute values");
    if sellers.definitions.is_empty() {
        ui.label(RichText::new("No attributes defined yet — add them on the Attributes tab").weak());
    }
    for definition in &sellers.definitions {
        ui.label(RichText::new(&definition.name).strong());
        egui::Grid::new(("bulk_values", &definition.name)).num_columns(2).spacing([12.0, 2.0]).show(ui, |ui| {
            for value in &definition.values {
                ui.label(value);
                let current = form.values.get(&definition.name).and_then(|vs| vs.get(value)).copied();
                let mut choice = current;
                ui.push_id(value, |ui| {
                    ui.horizontal(|ui| {
                        ui.selectable_value(&mut choice, None, "Keep");
                        ui.selectable_value(&mut choice, Some(true), "Add");
                        ui.selectable_value(&mut choice, Some(false), "Remove");
                    });
                });
                if choice != current {
                    let values = form.values.entry(definition.name.clone()).or_default();
                    match choice {
                        Some(add) => values.insert(value.clone(), add),
                        None => values.remove(value),
                    };
                }
                ui.end_row();
            }
        });
    }

    section(ui, "Capacity");
    ui.checkbox(&mut form.set_capacity, "Change capacity");
    ui.add_enabled_ui(form.set_capacity, |ui| {
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.unlimited, true, "Unlimited");
            ui.radio_value(&mut form.unlimited, false, "At most");
            ui.add_enabled(
                !form.unlimited,
                TextEdit::singleline(&mut form.capacity).hint_text("25").desired_width(60.0),
            )
            .widget_info(|| text_info(form.capacity.as_str(), "Capacity for all"));
            ui.label("open records");
        });
    });

    section(ui, "Assign records");
    ui.checkbox(&mut form.set_switch, "Change the switch");
    ui.add_enabled_ui(form.set_switch, |ui| {
        ui.checkbox(&mut form.assign_records, "Assign records to them");
    });

    ui.add_space(8.0);
    if let Some(error) = &bulk.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.horizontal(|ui| {
        if ui.button(format!("Apply to {count} sellers")).clicked() {
            send(commands, SellersCommand::ApplyBulk);
        }
    });
    if form != *bulk {
        form.error = None;
        send(commands, SellersCommand::EditBulk(form));
    }
}

// ---------------------------------------------------------------------------------------
// Teams

fn teams_tab_ui(ui: &mut egui::Ui, sellers: &SellersState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let editing = sellers.team.as_ref().and_then(|f| f.original.as_ref()).map(|t| t.id);
    egui::Panel::left("team_list").resizable(true).default_size(280.0).min_size(200.0).show(ui, |ui| {
        if view.teams.is_empty() {
            empty_note(ui, &["No teams yet — New team…"]);
            return;
        }
        ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            for team in &view.teams {
                let text = format!("{} ({})", team.name, team.members.len());
                if ui.selectable_label(editing == Some(team.id), text).clicked() {
                    send(commands, SellersCommand::SelectTeam(team.id));
                }
            }
        });
    });
    egui::CentralPanel::default().show(ui, |ui| match &sellers.team {
        Some(form) => team_form_ui(ui, view, form, commands),
        None if !view.teams.is_empty() => empty_note(ui, &["Select a team to rename it or change its members"]),
        None => {}
    });
}

fn team_form_ui(ui: &mut egui::Ui, view: &WorkspaceView, team: &TeamForm, commands: &mut Vec<Command>) {
    let mut form = team.clone();
    ui.heading(team.original.as_ref().map_or("New team".to_owned(), |t| t.name.clone()));
    ui.horizontal(|ui| {
        let label = ui.label("Team name");
        ui.add(TextEdit::singleline(&mut form.name).desired_width(280.0)).labelled_by(label.id);
    });
    section(ui, &format!("Members ({})", form.members.len()));
    if view.sellers.is_empty() {
        ui.label(RichText::new("No sellers yet — add them on the Sellers tab").weak());
    } else {
        ui.horizontal(|ui| {
            let label = ui.label("Find sellers");
            ui.add(TextEdit::singleline(&mut form.search).desired_width(200.0)).labelled_by(label.id);
        });
        ScrollArea::vertical().max_height((ui.available_height() - 80.0).max(120.0)).show(ui, |ui| {
            for seller in view.sellers.iter().filter(|s| matches_search(s, &form.search)) {
                let mut member = form.members.contains(&seller.id);
                if ui.checkbox(&mut member, &seller.name).changed() {
                    if member {
                        form.members.push(seller.id);
                    } else {
                        form.members.retain(|m| *m != seller.id);
                    }
                }
            }
        });
    }
    ui.add_space(8.0);
    if let Some(error) = &team.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.horizontal(|ui| {
        let dirty = team.is_dirty();
        let save = if team.original.is_none() { "Create team" } else { "Save" };
        if ui.add_enabled(dirty, egui::Button::new(save)).clicked() {
            send(commands, SellersCommand::SaveTeam);
        }
        let discard = if team.original.is_none() { "Cancel" } else { "Discard" };
        if ui.add_enabled(dirty || team.original.is_none(), egui::Button::new(discard)).clicked() {
            send(commands, SellersCommand::DiscardTeam);
        }
        if let Some(original) = &team.original {
            ui.add_space(16.0);
            if ui.button("Delete team…").clicked() {
                send(commands, SellersCommand::AskDeleteTeam(original.id));
            }
        }
    });
    if form != *team {
        form.error = None;
        send(commands, SellersCommand::EditTeam(form));
    }
}

// ---------------------------------------------------------------------------------------
// Attributes

fn attributes_tab_ui(ui: &mut egui::Ui, sellers: &SellersState, view: &WorkspaceView, commands: &mut Vec<Command>) {
    let editing = sellers.attribute.as_ref().and_then(|f| f.original.as_ref()).map(|d| d.name.as_str());
    egui::Panel::left("attribute_list").resizable(true).default_size(320.0).min_size(200.0).show(ui, |ui| {
        if sellers.definitions.is_empty() {
            empty_note(
                ui,
                &["No attributes yet — New attribute…", "Attributes (Language, Region…) let rules match sellers"],
            );
            return;
        }
        ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            for definition in &sellers.definitions {
                let holders = view.sellers.iter().filter(|s| s.attributes.contains_key(&definition.name)).count();
                let response = ui.selectable_label(editing == Some(definition.name.as_str()), &definition.name);
                if response.clicked() {
                    send(commands, SellersCommand::SelectAttribute(definition.name.clone()));
                }
                let values =
                    if definition.values.is_empty() { "no values".to_owned() } else { definition.values.join(", ") };
                ui.add(
                    egui::Label::new(RichText::new(format!("{values} · {holders} sellers")).weak().small()).truncate(),
                );
                ui.add_space(4.0);
            }
        });
    });
    egui::CentralPanel::default().show(ui, |ui| match &sellers.attribute {
        Some(form) => attribute_form_ui(ui, form, commands),
        None if !sellers.definitions.is_empty() => empty_note(ui, &["Select an attribute to edit its values"]),
        None => {}
    });
}

fn attribute_form_ui(ui: &mut egui::Ui, attribute: &AttributeForm, commands: &mut Vec<Command>) {
    let mut form = attribute.clone();
    ui.heading(attribute.original.as_ref().map_or("New attribute".to_owned(), |d| d.name.clone()));
    ui.horizontal(|ui| {
        let label = ui.label("Attribute name");
        ui.add(TextEdit::singleline(&mut form.name).hint_text("Language").desired_width(240.0)).labelled_by(label.id);
    });
    section(ui, "Values");
    if form.values.is_empty() {
        ui.label(RichText::new("No values yet — add the values sellers can have").weak());
    }
    let mut remove = None;
    for (at, value) in form.values.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(value);
            let button = ui.push_id(at, |ui| ui.small_button("×")).inner;
            button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Remove {value}")));
            if button.on_hover_text("Remove this value (sellers holding it lose it)").clicked() {
                remove = Some(at);
            }
        });
    }
    if let Some(at) = remove {
        form.values.remove(at);
    }
    ui.horizontal(|ui| {
        let label = ui.label("New value");
        let edit = ui.add(TextEdit::singleline(&mut form.new_value).desired_width(180.0)).labelled_by(label.id);
        let typed = form.new_value.trim().to_owned();
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.add_enabled(!typed.is_empty(), egui::Button::new("Add value")).clicked() || enter) && !typed.is_empty() {
            if form.values.contains(&typed) {
                form.error = Some(format!("\"{typed}\" is a value already"));
            } else {
                form.values.push(typed);
                form.new_value.clear();
            }
        }
    });
    ui.add_space(8.0);
    if let Some(error) = &attribute.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    ui.horizontal(|ui| {
        let dirty = attribute.is_dirty();
        let save = if attribute.original.is_none() { "Create attribute" } else { "Save" };
        if ui.add_enabled(dirty, egui::Button::new(save)).clicked() {
            send(commands, SellersCommand::SaveAttribute);
        }
        let discard = if attribute.original.is_none() { "Cancel" } else { "Discard" };
        if ui.add_enabled(dirty || attribute.original.is_none(), egui::Button::new(discard)).clicked() {
            send(commands, SellersCommand::DiscardAttribute);
        }
        if let Some(original) = &attribute.original {
            ui.add_space(16.0);
            if ui.button("Delete attribute…").clicked() {
                send(commands, SellersCommand::AskDeleteAttribute(original.name.clone()));
            }
        }
    });
    if form != *attribute {
        if form.error == attribute.error {
            form.error = None;
        }
        send(commands, SellersCommand::EditAttribute(form));
    }
}

// ---------------------------------------------------------------------------------------
// Shared bits

/// What a text input tells tests and screen readers: its text and its label.
fn text_info(text: &str, label: impl Into<String>) -> egui::WidgetInfo {
    let label = label.into();
    let mut info = egui::WidgetInfo::text_edit(true, text, text, &label);
    info.label = Some(label);
    info
}

fn section(ui: &mut egui::Ui, title: &str) {
    ui.add_space(10.0);
    ui.label(RichText::new(title).strong());
    ui.separator();
}

fn empty_note(ui: &mut egui::Ui, lines: &[&str]) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        for line in lines {
            ui.label(RichText::new(*line).weak());
        }
    });
}

fn confirm_ui(ui: &mut egui::Ui, sellers: &SellersState, commands: &mut Vec<Command>) {
    let Some(confirm) = &sellers.confirm else { return };
    let modal = egui::Modal::new(egui::Id::unique("sellers_confirm")).show(ui.ctx(), |ui| {
        ui.set_width(460.0);
        let (yes, command) = match confirm {
            SellersConfirm::DeleteSeller { id, name, usage } => {
                ui.heading("Delete seller?");
                ui.label(format!("{name} will be deleted with their attributes, work hours and time off."));
                let records = match usage.owned_records {
                    0 => "They own no records.".to_owned(),
                    1 => "They own 1 record; its owner becomes empty, so it counts as unassigned.".to_owned(),
                    n => format!(
                        "They own {} records; their owner becomes empty, so they count as unassigned.",
                        theme::thousands(n)
                    ),
                };
                ui.label(records);
                if !usage.teams.is_empty() {
                    ui.label(format!("They leave the teams {}.", usage.teams.join(", ")));
                }
                ui.label(
                    RichText::new(
                        "Assignment history keeps them. To keep their records, switch \"Assign records\" off instead",
                    )
                    .weak(),
                );
                if !usage.rules.is_empty() {
                    ui.add_space(4.0);
                    ui.label(
                        RichText::new(format!(
                            "Assignment rules name this seller: {}. Take the seller out of them first",
                            usage.rules.join("; ")
                        ))
                        .color(theme::error_colour(ui.visuals())),
                    );
                }
                ("Delete seller", usage.rules.is_empty().then_some(SellersCommand::DeleteSeller(*id)))
            }
            SellersConfirm::DeleteTeam { id, name, members } => {
                ui.heading("Delete team?");
                ui.label(format!("The team {name} will be deleted; its {members} members stay as sellers."));
                ("Delete team", Some(SellersCommand::DeleteTeam(*id)))
            }
            SellersConfirm::DeleteAttribute { name, holders } => {
                ui.heading("Delete attribute?");
                ui.label(format!("The attribute {name} will be deleted, and its values taken from {holders} sellers."));
                ("Delete attribute", Some(SellersCommand::DeleteAttribute(name.clone())))
            }
        };
        ui.label(RichText::new("This cannot be undone").weak());
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.add_enabled(command.is_some(), egui::Button::new(yes)).clicked()
                && let Some(command) = command
            {
                send(commands, command);
            }
            if ui.button("Cancel").clicked() {
                send(commands, SellersCommand::CloseConfirm);
            }
        });
    });
    if modal.should_close() {
        send(commands, SellersCommand::CloseConfirm);
    }
}
