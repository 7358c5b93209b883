//! The distribution simulator section of a segment's Assignment rules tab: the set of
//! members and the Simulate button, a bar per seller of the open records before and the
//! records the simulation gives (against the seller's capacity), a table per seller with
//! what-if capacity and "Away", the unassigned by reason and the fairness figure.

use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, GridMark, Line, Plot, PlotPoints};

use crate::domain::Segment;
use crate::domain::assignment::simulate::{SellerLoad, Simulation, SimulationSet};
use crate::state::simulate::{SimulateCommand, SimulateState};
use crate::state::{AppState, Command, WorkspaceView};

use super::theme::{self, thousands};

const BEFORE_COLOUR: Color32 = Color32::from_rgb(0x9a, 0xa4, 0xb1);
const GIVEN_COLOUR: Color32 = Color32::from_rgb(0x3a, 0x7b, 0xd5);
const CAPACITY_COLOUR: Color32 = Color32::from_rgb(0xd0, 0x5a, 0x4a);
/// Height of a seller's row in the chart: enough for every name on the axis.
const ROW: f32 = 24.0;

fn simulate(command: SimulateCommand) -> Command {
    Command::Simulate(command)
}

/// The section, under the rules and the fallback chain.
pub fn simulate_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    view: &WorkspaceView,
    segment: &Segment,
    commands: &mut Vec<Command>,
) {
    let sim = &state.rules.simulate;
    ui.add_space(10.0);
    ui.separator();
    ui.label(RichText::new("Distribution simulator").strong());
    ui.label(
        RichText::new("Runs the rules over a set of members as assignment would, now, without writing anything").weak(),
    );
    controls_ui(ui, sim, commands);
    if let Some(edited) = &sim.edited {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("Rules: the saved ones with the unsaved edit of \"{}\"", edited.name)).small(),
            );
            if ui.small_button("Use saved rules").clicked() {
                commands.push(simulate(SimulateCommand::UseStoredRules));
            }
        });
    }
    if let Some(progress) = &sim.running {
        ui.horizontal(|ui| {
            let bar = egui::ProgressBar::new(progress.fraction.unwrap_or(0.0)).text(progress.message.as_str());
            ui.add_sized([260.0, 18.0], bar);
            if ui.button("Cancel").clicked() {
                commands.push(simulate(SimulateCommand::Cancel));
            }
        });
    }
    if let Some(error) = &sim.error {
        ui.label(RichText::new(error).color(theme::error_colour(ui.visuals())));
    }
    let Some(result) = sim.result_of(segment.id) else {
        if sim.running.is_none() {
            ui.label(RichText::new("Choose the records and press Simulate").small().weak());
        }
        return;
    };
    result_ui(ui, view, sim, result, commands);
}

/// The set picker and the buttons.
fn controls_ui(ui: &mut egui::Ui, sim: &SimulateState, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let label = ui.label("Members to simulate");
        let days = sim.days;
        let choices = [SimulationSet::Unassigned, SimulationSet::Members, SimulationSet::CreatedWithin { days }];
        let shown = match sim.set {
            SimulationSet::CreatedWithin { .. } => "Members created in the last N days".to_owned(),
            set => set.label(),
        };
        egui::ComboBox::from_id_salt("simulate_set")
            .selected_text(shown)
            .width(240.0)
            .show_ui(ui, |ui| {
                for choice in choices {
                    let text = match choice {
                        SimulationSet::CreatedWithin { .. } => "Members created in the last N days".to_owned(),
                        set => set.label(),
                    };
                    let selected = std::mem::discriminant(&choice) == std::mem::discriminant(&sim.set);
                    if ui.selectable_label(selected, text).on_hover_text(choice.description()).clicked() {
                        commands.push(simulate(SimulateCommand::ChooseSet(choice)));
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(sim.set.description());
        if let SimulationSet::CreatedWithin { days } = sim.set {
            let mut value = days;
            let drag = ui.add(egui::DragValue::new(&mut value).range(1..=3650).suffix(" days"));
            drag.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Created within days"));
            if value != days {
                commands.push(simulate(SimulateCommand::ChooseSet(SimulationSet::CreatedWithin { days: value })));
            }
        }
        if ui.button("Simulate").on_hover_text("Decide the chosen records now; nothing is written").clicked() {
            commands.push(simulate(SimulateCommand::Run));
        }
        if !sim.what_if.is_empty() && ui.button("Reset what-ifs").clicked() {
            commands.push(simulate(SimulateCommand::ResetWhatIfs));
        }
    });
}

fn result_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    sim: &SimulateState,
    result: &Simulation,
    commands: &mut Vec<Command>,
) {
    let total = result.records.len() as u64;
    let summary = format!(
        "{} records ({}): {} would be assigned, {} stay unassigned",
        thousands(total),
        result.set.label().to_lowercase(),
        thousands(result.assigned()),
        thousands(result.unassigned_total())
    );
    ui.label(RichText::new(summary).strong());
    let fairness = match &result.fairness {
        Some(f) => format!("Fairness: {}", f.summary()),
        None => "Fairness: no seller can get records of this segment".to_owned(),
    };
    ui.label(fairness).on_hover_text(
        "Among the eligible sellers (assign records on, not away, named by a rule or the default route): \
         the Gini coefficient of the records each gets (0 = even, towards 1 = one seller gets all), and the \
         most any gets over the fewest",
    );
    for (reason, count) in &result.unassigned {
        ui.label(RichText::new(format!("Unassigned: {} · {reason}", thousands(*count))).small());
    }
    if result.sellers.is_empty() {
        ui.label(RichText::new("No sellers yet").weak());
        return;
    }
    // The chart keeps to the sellers this segment can give records to (and any that got
    // some); the table lists every seller.
    let charted: Vec<SellerLoad> = result.sellers.iter().filter(|s| s.eligible || s.given > 0).cloned().collect();
    if charted.is_empty() {
        ui.label(RichText::new("No seller can get records of this segment").weak());
    } else {
        chart_ui(ui, &charted);
    }
    table_ui(ui, view, sim, result, commands);
}

/// A bar per seller: open records before (grey) and the records given (blue) stacked, a
/// red tick at the capacity.
fn chart_ui(ui: &mut egui::Ui, sellers: &[SellerLoad]) {
    let count = sellers.len();
    let at = |i: usize| (count - 1 - i) as f64;
    let before: Vec<Bar> = sellers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Bar::new(at(i), f64::from(s.open_before)).width(0.7).fill(BEFORE_COLOUR).name(format!(
                "{}: {} open before",
                s.name,
                thousands(u64::from(s.open_before))
            ))
        })
        .collect();
    let given: Vec<Bar> = sellers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let capacity = s.capacity.map_or_else(|| "no limit".to_owned(), |c| format!("capacity {c}"));
            Bar::new(at(i), f64::from(s.given)).width(0.7).fill(GIVEN_COLOUR).name(format!(
                "{}: +{}, then {} open ({capacity})",
                s.name,
                thousands(u64::from(s.given)),
                thousands(u64::from(s.open_after()))
            ))
        })
        .collect();
    let names: Vec<String> = sellers.iter().map(|s| s.name.clone()).collect();
    let name_at = move |y: f64| {
        let index = y.round();
        if (y - index).abs() > 0.01 || index < 0.0 {
            return String::new();
        }
        count.checked_sub(1 + index as usize).and_then(|i| names.get(i)).cloned().unwrap_or_default()
    };
    let widest = sellers.iter().map(|s| f64::from(s.open_after().max(s.capacity.unwrap_or(0)))).fold(1.0, f64::max);
    let ticks: Vec<(f64, f64)> =
        sellers.iter().enumerate().filter_map(|(i, s)| s.capacity.map(|c| (at(i), f64::from(c)))).collect();
    Plot::new("simulated_load")
        .height(count as f32 * ROW + 40.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(0.0)
        .include_x(widest * 1.05)
        .y_axis_min_width(120.0)
        .y_axis_formatter(move |mark, _| name_at(mark.value))
        .y_grid_spacer(move |_| (0..count).map(|i| GridMark { value: i as f64, step_size: 1.0 }).collect())
        .show(ui, |plot| {
            let before = BarChart::new("Open before", before)
                .horizontal()
                .element_formatter(Box::new(|bar, _| bar.name.clone()));
            let given = BarChart::new("Records given", given)
                .horizontal()
                .element_formatter(Box::new(|bar, _| bar.name.clone()))
                .stack_on(&[&before]);
            plot.bar_chart(before);
            plot.bar_chart(given);
            for (y, capacity) in ticks {
                let points = PlotPoints::new(vec![[capacity, y - 0.45], [capacity, y + 0.45]]);
                plot.line(Line::new("Capacity", points).color(CAPACITY_COLOUR).width(2.0));
            }
        });
}

/// A row per seller: records given, open before and after, capacity (a what-if) and Away.
fn table_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    sim: &SimulateState,
    result: &Simulation,
    commands: &mut Vec<Command>,
) {
    ui.label(
        RichText::new(
            "Change a capacity or mark a seller away to simulate again; the sellers themselves are not changed",
        )
        .small()
        .weak(),
    );
    egui::Grid::new("simulated_sellers").striped(true).num_columns(6).spacing([14.0, 4.0]).show(ui, |ui| {
        for heading in ["Seller", "Records", "Open before", "Open after", "Capacity", ""] {
            ui.label(RichText::new(heading).small().strong());
        }
        ui.end_row();
        for load in &result.sellers {
            let mut name = RichText::new(&load.name);
            if !load.eligible {
                name = name.weak();
            }
            ui.label(name).on_hover_text(if load.eligible {
                "Can get records of this segment"
            } else {
                "Gets no records of this segment: not named by a rule, assign records off, or away"
            });
            ui.label(thousands(u64::from(load.given)));
            ui.label(thousands(u64::from(load.open_before)));
            ui.label(thousands(u64::from(load.open_after())));
            capacity_ui(ui, view, sim, load, commands);
            // The what-ifs as asked, not as the shown result had them: a newer run may be
            // under way.
            let mut away = sim.what_if.away.contains(&load.seller);
            if ui
                .checkbox(&mut away, "Away")
                .on_hover_text("In the simulation only: the seller takes no records")
                .changed()
            {
                commands.push(simulate(SimulateCommand::SetAway { seller: load.seller, away }));
            }
            ui.end_row();
        }
    });
}

/// The capacity the simulation uses, editable: a limit on or off and its number; back at
/// the stored value the what-if is dropped.
fn capacity_ui(
    ui: &mut egui::Ui,
    view: &WorkspaceView,
    sim: &SimulateState,
    load: &SellerLoad,
    commands: &mut Vec<Command>,
) {
    let stored = view.seller(load.seller).and_then(|s| s.capacity);
    let asked = sim.what_if.capacity.get(&load.seller).copied();
    let capacity = asked.unwrap_or(stored);
    let mut limited = capacity.is_some();
    // A new limit starts at what the seller holds now.
    let mut value = capacity.or(stored).unwrap_or(load.open_before.max(1));
    ui.horizontal(|ui| {
        let changed = if limited {
            let drag = ui.add(egui::DragValue::new(&mut value).range(0..=1_000_000));
            let name = format!("Capacity of {}", load.name);
            drag.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, name.as_str()));
            drag.changed()
        } else {
            ui.label(RichText::new("no limit").weak());
            false
        };
        let toggle = ui.checkbox(&mut limited, "Limit").on_hover_text("Without a limit the seller takes any number");
        if asked.is_some() {
            ui.label(RichText::new("what-if").small().color(ui.visuals().warn_fg_color))
                .on_hover_text(format!("Saved: {}", stored.map_or_else(|| "no limit".to_owned(), |c| c.to_string())));
        }
        if changed || toggle.changed() {
            let capacity = limited.then_some(value);
            let what_if = (capacity != stored).then_some(capacity);
            commands.push(simulate(SimulateCommand::SetCapacity { seller: load.seller, capacity: what_if }));
        }
    });
}

/// In the rule editor's footer: simulate the unsaved rule among the saved ones (the editor
/// stays open), and the newest such result in one line.
pub fn simulate_edit_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    editor: &crate::state::rules::RuleEditor,
    commands: &mut Vec<Command>,
) {
    let sim = &state.rules.simulate;
    let ready = editor.problem_count() == 0;
    let button = ui
        .add_enabled(ready, egui::Button::new("Simulate this edit"))
        .on_hover_text("Run the rules with this unsaved edit over the simulator's records; nothing is written")
        .on_disabled_hover_text("Fix the rule's problems first");
    if button.clicked() {
        commands.push(simulate(SimulateCommand::RunEdit));
    }
    if sim.running.is_some() {
        ui.spinner();
    } else if let Some(result) = sim.result_of(editor.segment).filter(|r| r.edited_rules && sim.edited.is_some()) {
        let fairness = result.fairness.map(|f| format!(", Gini {:.2}", f.gini)).unwrap_or_default();
        ui.label(
            RichText::new(format!(
                "{} assigned, {} unassigned{fairness}",
                thousands(result.assigned()),
                thousands(result.unassigned_total())
            ))
            .small(),
        )
        .on_hover_text("The simulator under the rules shows every seller once the editor is closed");
    }
}
