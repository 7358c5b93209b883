//! The registry of features: every screen, tab or dialog whose commands are handled by a
//! pure `apply` in its own module. One line here gives a feature its `Command` and `Effect`
//! variants, their `From` conversions, its place in the app's dispatch, polling and busy
//! flag, and, with `screen "Label"`, its tab in the top bar and its panel (see
//! ARCHITECTURE.md, "Adding a screen").
//!
//! A feature `Name(module, NameCommand, NameEffect)` provides:
//! - `state::module`: its state (a field of `AppState`), `NameCommand`, `NameEffect` and
//!   `pub fn apply(&mut AppState, NameCommand, &Context) -> Vec<Effect>`;
//! - `app::module`: `impl Runner<NameEffect> for App` (carrying out its effects, polling
//!   its jobs, saying when it is busy);
//! - for a screen, `ui::module::screen_ui(ui, &AppState, &WorkspaceView, &mut Vec<Command>)`.

/// Calls the macro `$then` with the list of features, in the order of their tabs.
macro_rules! for_each_feature {
    ($then:ident) => {
        $then! {
            Segments(segments, SegmentsCommand, SegmentsEffect),
            Conditions(conditions, ConditionsCommand, ConditionsEffect),
            Records(records, RecordsCommand, RecordsEffect, screen "Records"),
            Sequences(sequences, SequencesCommand, SequencesEffect, screen "Sequences"),
            WorkList(worklist, WorkListCommand, WorkListEffect, screen "Work list"),
            Sellers(sellers, SellersCommand, SellersEffect, screen "Sellers & teams"),
            Monitor(monitor, MonitorCommand, MonitorEffect, screen "Monitor"),
            Overlap(overlap, OverlapCommand, OverlapEffect, screen "Overlap"),
            Explain(explain, ExplainCommand, ExplainEffect),
            Rules(rules, RulesCommand, RulesEffect),
            Definitions(definitions, DefinitionsCommand, DefinitionsEffect),
            Import(import, ImportCommand, ImportEffect),
            Settings(settings, SettingsCommand, SettingsEffect),
            Simulate(simulate, SimulateCommand, SimulateEffect),
        }
    };
}

pub(crate) use for_each_feature;
