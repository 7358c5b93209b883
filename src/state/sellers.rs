//! The Sellers & teams screen's state: the tabs, the seller, bulk, team and attribute forms
//! (edited as copies and checked before they are stored), the screen's commands and their
//! pure handling ([`apply`]), which returns the [`SellersEffect`]s the app carries out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use jiff::civil::DateTime;

use super::effect::{Context, Effect};
use super::{AppState, NoticeLevel};
use crate::domain::people::{WEEKDAYS, format_minute, is_email_shaped, parse_minute};
use crate::domain::{
    AttributeDefinition, Seller, SellerBulkChange, SellerId, SellerUsage, Team, TeamId, TimeOff, WorkPeriod,
};

/// The three parts of the screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SellersTab {
    #[default]
    Sellers,
    Teams,
    Attributes,
}

impl SellersTab {
    pub const ALL: [SellersTab; 3] = [SellersTab::Sellers, SellersTab::Teams, SellersTab::Attributes];

    pub fn label(self) -> &'static str {
        match self {
            SellersTab::Sellers => "Sellers",
            SellersTab::Teams => "Teams",
            SellersTab::Attributes => "Attributes",
        }
    }
}

/// What the sellers panels show beyond the workspace view.
#[derive(Clone, Debug, Default)]
pub struct SellersState {
    pub tab: SellersTab,
    /// The workspace the definitions below were read from; another one means read again.
    pub loaded_for: Option<PathBuf>,
    /// The seller attribute definitions, in their order.
    pub definitions: Vec<AttributeDefinition>,
    pub search: String,
    /// The sellers chosen in the list; one gets the editor, several the bulk panel.
    pub selected: BTreeSet<SellerId>,
    /// Where a Shift-click range starts.
    pub anchor: Option<SellerId>,
    pub editor: Option<Box<SellerEditor>>,
    pub bulk: BulkForm,
    pub team: Option<TeamForm>,
    pub attribute: Option<AttributeForm>,
    pub confirm: Option<SellersConfirm>,
    /// Open records per seller (by assignment), read with the sellers: the load chart.
    pub open: std::collections::HashMap<SellerId, u64>,
}

impl SellersState {
    /// Whether a form holds edits Save has not stored.
    pub fn has_unsaved_edits(&self) -> bool {
        self.editor.as_ref().is_some_and(|e| e.is_dirty())
            || self.team.as_ref().is_some_and(TeamForm::is_dirty)
            || self.attribute.as_ref().is_some_and(AttributeForm::is_dirty)
    }
}

/// One weekday's working period as typed ("09:00" to "17:00").
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodForm {
    pub weekday: u8,
    pub start: String,
    pub end: String,
}

/// An absence as typed ("2026-08-01 09:00").
#[derive(Clone, Debug, PartialEq)]
pub struct TimeOffForm {
    pub start: String,
    pub end: String,
    pub reason: String,
}

/// The seller form: every field as typed, parsed on Save.
#[derive(Clone, Debug, PartialEq)]
pub struct SellerEditor {
    /// The seller as stored; `None` while adding a new one.
    pub original: Option<Seller>,
    pub name: String,
    pub email: String,
    pub time_zone: String,
    /// The search box of the time zone list.
    pub time_zone_search: String,
    pub unlimited: bool,
    pub capacity: String,
    pub assign_records: bool,
    pub attributes: BTreeMap<String, Vec<String>>,
    pub periods: Vec<PeriodForm>,
    pub time_off: Vec<TimeOffForm>,
    /// Why the store refused the last Save.
    pub error: Option<String>,
}

impl SellerEditor {
    pub fn of(seller: &Seller) -> Self {
        let mut periods: Vec<PeriodForm> = seller
            .work_hours
            .iter()
            .map(|p| PeriodForm {
                weekday: p.weekday,
                start: format_minute(p.start_minute),
                end: format_minute(p.end_minute),
            })
            .collect();
        periods.sort_by_key(|p| p.weekday);
        Self {
            original: Some(seller.clone()),
            name: seller.name.clone(),
            email: seller.email.clone(),
            time_zone: seller.time_zone.clone(),
            time_zone_search: String::new(),
            unlimited: seller.capacity.is_none(),
            capacity: seller.capacity.map(|c| c.to_string()).unwrap_or_default(),
            assign_records: seller.assign_records,
            attributes: seller.attributes.clone(),
            periods,
            time_off: seller
                .time_off
                .iter()
                .map(|t| TimeOffForm {
                    start: format_date_time(t.start),
                    end: format_date_time(t.end),
                    reason: t.reason.clone(),
                })
                .collect(),
            error: None,
        }
    }

    /// A new seller: unlimited capacity, assigned records, the workspace's time zone.
    pub fn new_seller(time_zone: &str) -> Self {
        Self {
            original: None,
            name: String::new(),
            email: String::new(),
            time_zone: time_zone.to_owned(),
            time_zone_search: String::new(),
            unlimited: true,
            capacity: String::new(),
            assign_records: true,
            attributes: BTreeMap::new(),
            periods: Vec::new(),
            time_off: Vec::new(),
            error: None,
        }
    }

    pub fn id(&self) -> Option<SellerId> {
        self.original.as_ref().map(|s| s.id)
    }

    /// The seller the form describes, or every problem with what was typed.
    pub fn to_seller(&self) -> Result<Seller, Vec<String>> {
        let mut problems = Vec::new();
        let capacity = if self.unlimited {
            None
        } else if let Ok(n) = self.capacity.trim().parse::<u32>() {
            Some(n)
        } else {
            problems.push(format!(
                "Capacity \"{}\" is not a whole number of 0 or more (or choose Unlimited)",
                self.capacity.trim()
            ));
            None
        };
        let mut work_hours = Vec::new();
        for p in &self.periods {
            let day = WEEKDAYS.get(usize::from(p.weekday).wrapping_sub(1)).copied().unwrap_or("?");
            let start = parse_minute(&p.start);
            let end = parse_minute(&p.end);
            for (text, parsed) in [(&p.start, start), (&p.end, end)] {
                if parsed.is_none() {
                    problems.push(format!("Work hours on {day}: \"{}\" is not a time like 09:00", text.trim()));
                }
            }
            if let (Some(start), Some(end)) = (start, end) {
                if start >= end {
                    problems.push(format!("Work hours on {day}: {} is not before {}", p.start.trim(), p.end.trim()));
                }
                work_hours.push(WorkPeriod { weekday: p.weekday, start_minute: start, end_minute: end });
            }
        }
        let mut time_off = Vec::new();
        for (n, t) in self.time_off.iter().enumerate() {
            let what = if t.reason.trim().is_empty() {
                format!("Time off {}", n + 1)
            } else {
                format!("Time off \"{}\"", t.reason.trim())
            };
            let start = parse_date_time(&t.start);
            let end = parse_date_time(&t.end);
            for (text, parsed) in [(&t.start, start), (&t.end, end)] {
                if parsed.is_none() {
                    problems.push(format!("{what}: \"{}\" is not a date and time like 2026-08-01 09:00", text.trim()));
                }
            }
            if let (Some(start), Some(end)) = (start, end) {
                if start >= end {
                    problems.push(format!("{what}: the start is not before the end"));
                }
                time_off.push(TimeOff { start, end, reason: t.reason.trim().to_owned() });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut attributes = self.attributes.clone();
        attributes.retain(|_, values| !values.is_empty());
        Ok(Seller {
            id: self.id().unwrap_or(SellerId(0)),
            name: self.name.trim().to_owned(),
            email: self.email.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
            attributes,
            capacity,
            work_hours,
            time_off,
            assign_records: self.assign_records,
        })
    }

    /// What is wrong before Save is even tried: shown under the form as the user types.
    pub fn hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
        if self.name.trim().is_empty() {
            hints.push("Give the seller a name".to_owned());
        }
        let email = self.email.trim();
        if email.is_empty() {
            hints.push("Give the seller an email address".to_owned());
        } else if !is_email_shaped(email) {
            hints.push(format!("\"{email}\" is not an email address like name@example.com"));
        }
        if jiff::tz::TimeZone::get(self.time_zone.trim()).is_err() {
            hints.push(format!("\"{}\" is not a known time zone", self.time_zone.trim()));
        }
        if let Err(problems) = self.to_seller() {
            hints.extend(problems);
        }
        hints
    }

    /// Whether the form differs from the stored seller (a new seller is dirty once typed in).
    pub fn is_dirty(&self) -> bool {
        match &self.original {
            Some(original) => self.to_seller().map_or(true, |s| &s != original),
            None => !self.name.trim().is_empty() || !self.email.trim().is_empty(),
        }
    }
}

/// "Set for N sellers": what to change on every selected seller.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulkForm {
    /// Attribute → value → add (true) or remove (false); absent values are kept as they are.
    pub values: BTreeMap<String, BTreeMap<String, bool>>,
    pub set_capacity: bool,
    pub unlimited: bool,
    pub capacity: String,
    pub set_switch: bool,
    pub assign_records: bool,
    pub error: Option<String>,
}

impl BulkForm {
    /// The change the form describes, or what is wrong with it.
    pub fn to_change(&self) -> Result<SellerBulkChange, String> {
        let mut change = SellerBulkChange::default();
        for (attribute, values) in &self.values {
            for (value, add) in values {
                let target = if *add { &mut change.add_values } else { &mut change.remove_values };
                target.entry(attribute.clone()).or_default().push(value.clone());
            }
        }
        if self.set_capacity {
            change.capacity = Some(if self.unlimited {
                None
            } else {
                Some(self.capacity.trim().parse::<u32>().map_err(|_| {
                    format!(
                        "Capacity \"{}\" is not a whole number of 0 or more (or choose Unlimited)",
                        self.capacity.trim()
                    )
                })?)
            });
        }
        if self.set_switch {
            change.assign_records = Some(self.assign_records);
        }
        if change.is_empty() {
            return Err("Choose something to change: attribute values, capacity or the switch".to_owned());
        }
        Ok(change)
    }
}

/// A team being created (`id` `None`) or edited.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamForm {
    pub original: Option<Team>,
    pub name: String,
    pub members: Vec<SellerId>,
    /// Filters the sellers offered as members.
    pub search: String,
    pub error: Option<String>,
}

impl TeamForm {
    pub fn of(team: &Team) -> Self {
        Self {
            original: Some(team.clone()),
            name: team.name.clone(),
            members: team.members.clone(),
            search: String::new(),
            error: None,
        }
    }

    pub fn is_dirty(&self) -> bool {
        match &self.original {
            Some(t) => t.name != self.name.trim() || t.members != self.members,
            None => !self.name.trim().is_empty() || !self.members.is_empty(),
        }
    }
}

/// An attribute definition being created (`original` `None`) or edited.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeForm {
    pub original: Option<AttributeDefinition>,
    pub name: String,
    pub values: Vec<String>,
    /// The "New value" input.
    pub new_value: String,
    pub error: Option<String>,
}

impl AttributeForm {
    pub fn of(definition: &AttributeDefinition) -> Self {
        Self {
            original: Some(definition.clone()),
            name: definition.name.clone(),
            values: definition.values.clone(),
            new_value: String::new(),
            error: None,
        }
    }

    pub fn is_dirty(&self) -> bool {
        match &self.original {
            Some(d) => d.name != self.name.trim() || d.values != self.values,
            None => !self.name.trim().is_empty() || !self.values.is_empty(),
        }
    }
}

/// A destructive action waiting for the user's yes.
#[derive(Clone, Debug, PartialEq)]
pub enum SellersConfirm {
    DeleteSeller { id: SellerId, name: String, usage: SellerUsage },
    DeleteTeam { id: TeamId, name: String, members: usize },
    DeleteAttribute { name: String, holders: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub enum SellersCommand {
    /// Read the attribute definitions of the open workspace (when first shown).
    Load,
    ShowTab(SellersTab),
    SetSearch(String),
    /// The new selection of the sellers list and where a Shift-click range starts.
    SelectSellers {
        ids: Vec<SellerId>,
        anchor: Option<SellerId>,
    },
    StartAddSeller,
    EditSeller(Box<SellerEditor>),
    SaveSeller,
    DiscardSeller,
    AskDeleteSeller(SellerId),
    DeleteSeller(SellerId),
    EditBulk(BulkForm),
    ApplyBulk,
    SelectTeam(TeamId),
    StartNewTeam,
    EditTeam(TeamForm),
    SaveTeam,
    DiscardTeam,
    AskDeleteTeam(TeamId),
    DeleteTeam(TeamId),
    SelectAttribute(String),
    StartNewAttribute,
    EditAttribute(AttributeForm),
    SaveAttribute,
    DiscardAttribute,
    AskDeleteAttribute(String),
    DeleteAttribute(String),
    CloseConfirm,
}

/// Every IANA time zone name jiff knows, sorted.
pub fn time_zone_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = jiff::tz::db().available().map(|name| name.to_string()).collect();
        names.sort();
        names
    })
}

/// "2026-08-01 09:00" (seconds only when there are some).
pub fn format_date_time(at: DateTime) -> String {
    if at.second() == 0 && at.subsec_nanosecond() == 0 {
        at.strftime("%Y-%m-%d %H:%M").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// "2026-08-01 09:00", "2026-08-01T09:00" or "2026-08-01" (midnight).
pub fn parse_date_time(text: &str) -> Option<DateTime> {
    let text = text.trim();
    if let Ok(at) = text.replacen(' ', "T", 1).parse::<DateTime>() {
        return Some(at);
    }
    text.parse::<jiff::civil::Date>().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight()))
}

/// What the Sellers & teams screen asks the runner to read or store.
#[derive(Clone, Debug, PartialEq)]
pub enum SellersEffect {
    /// Read sellers, teams and attribute definitions again, keeping the selection and the
    /// forms that still refer to something.
    LoadPeople,
    /// Store a new seller (`adding`) or the edited one, then show it as stored.
    SaveSeller {
        seller: Seller,
        adding: bool,
    },
    /// Read what the seller is used by, then ask before deleting.
    AskDeleteSeller {
        id: SellerId,
        name: String,
    },
    DeleteSeller {
        id: SellerId,
        name: String,
    },
    /// Apply one change to every selected seller.
    UpdateSellers {
        ids: Vec<SellerId>,
        change: SellerBulkChange,
    },
    /// Store a new team (`adding`) or the edited one.
    SaveTeam {
        team: Team,
        adding: bool,
    },
    DeleteTeam(TeamId),
    /// Store a new attribute definition, or replace the one named `old_name`.
    SaveAttribute {
        old_name: Option<String>,
        definition: AttributeDefinition,
    },
    DeleteAttribute(String),
}

/// Handles a Sellers & teams command: changes the state and says what the runner must do.
pub fn apply(state: &mut AppState, command: SellersCommand, _ctx: &Context) -> Vec<Effect> {
    let effect = |effect: SellersEffect| vec![Effect::Sellers(effect)];
    match command {
        SellersCommand::Load => {
            let path = state.view.as_ref().map(|v| v.path.clone());
            if state.sellers.loaded_for != path {
                // Another workspace: nothing selected or edited carries over.
                state.sellers = SellersState { tab: state.sellers.tab, ..SellersState::default() };
            }
            effect(SellersEffect::LoadPeople)
        }
        SellersCommand::ShowTab(tab) => {
            state.sellers.tab = tab;
            Vec::new()
        }
        SellersCommand::SetSearch(text) => {
            state.sellers.search = text;
            Vec::new()
        }
        SellersCommand::SelectSellers { ids, anchor } => select_sellers(state, ids, anchor),
        SellersCommand::EditSeller(editor) => {
            state.sellers.editor = Some(editor);
            Vec::new()
        }
        SellersCommand::DiscardSeller => {
            let sellers = &mut state.sellers;
            sellers.editor = sellers.editor.take().and_then(|e| e.original.map(|s| Box::new(SellerEditor::of(&s))));
            Vec::new()
        }
        SellersCommand::SaveSeller => save_seller(state),
        SellersCommand::AskDeleteSeller(id) => {
            effect(SellersEffect::AskDeleteSeller { id, name: seller_name(state, id) })
        }
        SellersCommand::DeleteSeller(id) => {
            state.sellers.confirm = None;
            effect(SellersEffect::DeleteSeller { id, name: seller_name(state, id) })
        }
        SellersCommand::EditBulk(form) => {
            state.sellers.bulk = form;
            Vec::new()
        }
        SellersCommand::ApplyBulk => match state.sellers.bulk.to_change() {
            Ok(change) => {
                let ids = state.sellers.selected.iter().copied().collect();
                effect(SellersEffect::UpdateSellers { ids, change })
            }
            Err(problem) => {
                state.sellers.bulk.error = Some(problem);
                Vec::new()
            }
        },
        SellersCommand::EditTeam(form) => {
            state.sellers.team = Some(form);
            Vec::new()
        }
        SellersCommand::DiscardTeam => {
            let sellers = &mut state.sellers;
            sellers.team = sellers.team.take().and_then(|f| f.original).map(|t| TeamForm::of(&t));
            Vec::new()
        }
        SellersCommand::SaveTeam => save_team(state),
        SellersCommand::AskDeleteTeam(id) => {
            if let Some(team) = state.view.as_ref().and_then(|v| v.teams.iter().find(|t| t.id == id)) {
                let confirm = SellersConfirm::DeleteTeam { id, name: team.name.clone(), members: team.members.len() };
                state.sellers.confirm = Some(confirm);
            }
            Vec::new()
        }
        SellersCommand::DeleteTeam(id) => {
            state.sellers.confirm = None;
            effect(SellersEffect::DeleteTeam(id))
        }
        SellersCommand::EditAttribute(form) => {
            state.sellers.attribute = Some(form);
            Vec::new()
        }
        SellersCommand::DiscardAttribute => {
            let sellers = &mut state.sellers;
            sellers.attribute = sellers.attribute.take().and_then(|f| f.original).map(|d| AttributeForm::of(&d));
            Vec::new()
        }
        SellersCommand::SaveAttribute => match &state.sellers.attribute {
            Some(form) => {
                let definition = AttributeDefinition { name: form.name.trim().to_owned(), values: form.values.clone() };
                let old_name = form.original.as_ref().map(|d| d.name.clone());
                effect(SellersEffect::SaveAttribute { old_name, definition })
            }
            None => Vec::new(),
        },
        SellersCommand::AskDeleteAttribute(name) => {
            let holders = state.view.as_ref().map_or(0, |v| {
                v.sellers.iter().filter(|s| s.attributes.get(&name).is_some_and(|vs| !vs.is_empty())).count()
            });
            state.sellers.confirm = Some(SellersConfirm::DeleteAttribute { name, holders });
            Vec::new()
        }
        SellersCommand::DeleteAttribute(name) => {
            state.sellers.confirm = None;
            effect(SellersEffect::DeleteAttribute(name))
        }
        SellersCommand::CloseConfirm => {
            state.sellers.confirm = None;
            Vec::new()
        }
        SellersCommand::StartAddSeller => open_form(state, start_add_seller),
        SellersCommand::SelectTeam(id) => open_form(state, |state| {
            let team = state.view.as_ref().and_then(|v| v.teams.iter().find(|t| t.id == id));
            state.sellers.team = team.map(TeamForm::of);
        }),
        SellersCommand::StartNewTeam => open_form(state, start_new_team),
        SellersCommand::SelectAttribute(name) => open_form(state, |state| {
            let definition = state.sellers.definitions.iter().find(|d| d.name == name);
            state.sellers.attribute = definition.map(AttributeForm::of);
        }),
        SellersCommand::StartNewAttribute => open_form(state, start_new_attribute),
    }
}

/// Opens another form, unless the open one has unsaved edits: then it says so instead.
fn open_form(state: &mut AppState, open: impl FnOnce(&mut AppState)) -> Vec<Effect> {
    if state.sellers.has_unsaved_edits() {
        return unsaved_first();
    }
    open(state);
    Vec::new()
}

fn start_add_seller(state: &mut AppState) {
    let zone = state.view.as_ref().map_or_else(|| "UTC".into(), |v| v.time_zone_name.clone());
    let sellers = &mut state.sellers;
    sellers.tab = SellersTab::Sellers;
    sellers.selected.clear();
    sellers.anchor = None;
    sellers.editor = Some(Box::new(SellerEditor::new_seller(&zone)));
}

fn start_new_team(state: &mut AppState) {
    state.sellers.tab = SellersTab::Teams;
    state.sellers.team =
        Some(TeamForm { original: None, name: String::new(), members: Vec::new(), search: String::new(), error: None });
}

fn start_new_attribute(state: &mut AppState) {
    state.sellers.tab = SellersTab::Attributes;
    state.sellers.attribute = Some(AttributeForm {
        original: None,
        name: String::new(),
        values: Vec::new(),
        new_value: String::new(),
        error: None,
    });
}

/// "Save or discard the changes in the form first".
fn unsaved_first() -> Vec<Effect> {
    vec![Effect::Notify(NoticeLevel::Info, "Save or discard the changes in the form first".to_owned())]
}

fn seller_name(state: &AppState, id: SellerId) -> String {
    state.view.as_ref().and_then(|v| v.seller(id)).map(|s| s.name.clone()).unwrap_or_default()
}

/// Selects sellers: one opens in the editor, several open the bulk form.
fn select_sellers(state: &mut AppState, ids: Vec<SellerId>, anchor: Option<SellerId>) -> Vec<Effect> {
    let selected: BTreeSet<SellerId> = ids.into_iter().collect();
    if selected == state.sellers.selected {
        state.sellers.anchor = anchor;
        return Vec::new();
    }
    if state.sellers.has_unsaved_edits() {
        return unsaved_first();
    }
    let single = (selected.len() == 1).then(|| selected.iter().next().copied()).flatten();
    let seller = single.and_then(|id| state.view.as_ref().and_then(|v| v.seller(id)));
    let sellers = &mut state.sellers;
    sellers.editor = seller.map(|s| Box::new(SellerEditor::of(s)));
    if selected.len() > 1 && sellers.selected.len() <= 1 {
        sellers.bulk = BulkForm::default();
    }
    sellers.selected = selected;
    sellers.anchor = anchor;
    Vec::new()
}

/// Asks to store the editor's seller, or shows every problem in the form.
fn save_seller(state: &mut AppState) -> Vec<Effect> {
    let Some(editor) = state.sellers.editor.as_deref_mut() else { return Vec::new() };
    match editor.to_seller() {
        Ok(seller) => vec![Effect::Sellers(SellersEffect::SaveSeller { seller, adding: editor.original.is_none() })],
        Err(problems) => {
            editor.error = Some(problems.join("\n"));
            Vec::new()
        }
    }
}

fn save_team(state: &AppState) -> Vec<Effect> {
    let Some(form) = &state.sellers.team else { return Vec::new() };
    let team = Team {
        id: form.original.as_ref().map_or(TeamId(0), |t| t.id),
        name: form.name.trim().to_owned(),
        members: form.members.clone(),
    };
    vec![Effect::Sellers(SellersEffect::SaveTeam { team, adding: form.original.is_none() })]
}
