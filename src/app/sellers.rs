//! The Sellers & teams screen: sellers, attribute definitions and teams.
//!
//! Forms are edited as copies: the panel pushes the whole edited form back
//! (`EditSeller`, `EditTeam`, …) and Save hands what it describes to the store. Every
//! stored change reloads `view.sellers`, `view.teams` and the attribute definitions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use jiff::civil::DateTime;

use super::state::EngineStatus;
use super::{App, NoticeLevel};
use crate::domain::people::{WEEKDAYS, format_minute, is_email_shaped, parse_minute};
use crate::domain::{
    AttributeDefinition, Seller, SellerBulkChange, SellerId, SellerUsage, Team, TeamId, TimeOff, WorkPeriod,
};
use crate::worker::engine::EngineWorker;

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
        } else {
            match self.capacity.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(format!(
                        "Capacity \"{}\" is not a whole number of 0 or more (or choose Unlimited)",
                        self.capacity.trim()
                    ));
                    None
                }
            }
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

impl App {
    pub(super) fn apply_sellers(&mut self, command: SellersCommand) {
        match command {
            SellersCommand::Load => {
                let path = self.state.view.as_ref().map(|v| v.path.clone());
                if self.state.sellers.loaded_for != path {
                    // Another workspace: nothing selected or edited carries over.
                    self.state.sellers = SellersState { tab: self.state.sellers.tab, ..SellersState::default() };
                }
                self.load_people();
            }
            SellersCommand::ShowTab(tab) => self.state.sellers.tab = tab,
            SellersCommand::SetSearch(text) => self.state.sellers.search = text,
            SellersCommand::SelectSellers { ids, anchor } => self.select_sellers(ids, anchor),
            SellersCommand::StartAddSeller => {
                if self.refuse_if_unsaved() {
                    return;
                }
                let zone = self.state.view.as_ref().map(|v| v.time_zone_name.clone()).unwrap_or_else(|| "UTC".into());
                let sellers = &mut self.state.sellers;
                sellers.tab = SellersTab::Sellers;
                sellers.selected.clear();
                sellers.anchor = None;
                sellers.editor = Some(Box::new(SellerEditor::new_seller(&zone)));
            }
            SellersCommand::EditSeller(editor) => self.state.sellers.editor = Some(editor),
            SellersCommand::SaveSeller => self.save_seller(),
            SellersCommand::DiscardSeller => {
                let sellers = &mut self.state.sellers;
                sellers.editor = sellers.editor.take().and_then(|e| e.original.map(|s| Box::new(SellerEditor::of(&s))));
            }
            SellersCommand::AskDeleteSeller(id) => self.ask_delete_seller(id),
            SellersCommand::DeleteSeller(id) => self.delete_seller(id),
            SellersCommand::EditBulk(form) => self.state.sellers.bulk = form,
            SellersCommand::ApplyBulk => self.apply_bulk(),
            SellersCommand::SelectTeam(id) => {
                if self.refuse_if_unsaved() {
                    return;
                }
                let team = self.state.view.as_ref().and_then(|v| v.teams.iter().find(|t| t.id == id));
                self.state.sellers.team = team.map(TeamForm::of);
            }
            SellersCommand::StartNewTeam => {
                if self.refuse_if_unsaved() {
                    return;
                }
                self.state.sellers.tab = SellersTab::Teams;
                self.state.sellers.team = Some(TeamForm {
                    original: None,
                    name: String::new(),
                    members: Vec::new(),
                    search: String::new(),
                    error: None,
                });
            }
            SellersCommand::EditTeam(form) => self.state.sellers.team = Some(form),
            SellersCommand::SaveTeam => self.save_team(),
            SellersCommand::DiscardTeam => {
                let sellers = &mut self.state.sellers;
                sellers.team = sellers.team.take().and_then(|f| f.original).map(|t| TeamForm::of(&t));
            }
            SellersCommand::AskDeleteTeam(id) => {
                if let Some(team) = self.state.view.as_ref().and_then(|v| v.teams.iter().find(|t| t.id == id)) {
                    self.state.sellers.confirm =
                        Some(SellersConfirm::DeleteTeam { id, name: team.name.clone(), members: team.members.len() });
                }
            }
            SellersCommand::DeleteTeam(id) => self.delete_team(id),
            SellersCommand::SelectAttribute(name) => {
                if self.refuse_if_unsaved() {
                    return;
                }
                let definition = self.state.sellers.definitions.iter().find(|d| d.name == name);
                self.state.sellers.attribute = definition.map(AttributeForm::of);
            }
            SellersCommand::StartNewAttribute => {
                if self.refuse_if_unsaved() {
                    return;
                }
                self.state.sellers.tab = SellersTab::Attributes;
                self.state.sellers.attribute = Some(AttributeForm {
                    original: None,
                    name: String::new(),
                    values: Vec::new(),
                    new_value: String::new(),
                    error: None,
                });
            }
            SellersCommand::EditAttribute(form) => self.state.sellers.attribute = Some(form),
            SellersCommand::SaveAttribute => self.save_attribute(),
            SellersCommand::DiscardAttribute => {
                let sellers = &mut self.state.sellers;
                sellers.attribute = sellers.attribute.take().and_then(|f| f.original).map(|d| AttributeForm::of(&d));
            }
            SellersCommand::AskDeleteAttribute(name) => {
                let holders = self.state.view.as_ref().map_or(0, |v| {
                    v.sellers.iter().filter(|s| s.attributes.get(&name).is_some_and(|vs| !vs.is_empty())).count()
                });
                self.state.sellers.confirm = Some(SellersConfirm::DeleteAttribute { name, holders });
            }
            SellersCommand::DeleteAttribute(name) => self.delete_attribute(&name),
            SellersCommand::CloseConfirm => self.state.sellers.confirm = None,
        }
    }

    /// Tells the user to save or discard first when a form has unsaved edits.
    fn refuse_if_unsaved(&mut self) -> bool {
        if self.state.sellers.has_unsaved_edits() {
            self.notify(NoticeLevel::Info, "Save or discard the changes in the form first");
            return true;
        }
        false
    }

    /// Reads sellers, teams and attribute definitions again after a change, keeping the
    /// selection and forms that still refer to something.
    pub(super) fn load_people(&mut self) {
        let Some(workspace) = &self.workspace else { return };
        let read = workspace
            .sellers()
            .and_then(|sellers| Ok((sellers, workspace.teams()?, workspace.attribute_definitions()?)));
        match read {
            Ok((sellers, teams, definitions)) => {
                let state = &mut self.state.sellers;
                state.loaded_for = self.state.view.as_ref().map(|v| v.path.clone());
                state.selected.retain(|id| sellers.iter().any(|s| s.id == *id));
                if state.editor.as_ref().and_then(|e| e.id()).is_some_and(|id| !sellers.iter().any(|s| s.id == id)) {
                    state.editor = None;
                }
                if let Some(id) = state.team.as_ref().and_then(|f| f.original.as_ref()).map(|t| t.id) {
                    state.team = teams.iter().find(|t| t.id == id).map(TeamForm::of);
                }
                if let Some(name) = state.attribute.as_ref().and_then(|f| f.original.as_ref()).map(|d| d.name.clone()) {
                    state.attribute = definitions.iter().find(|d| d.name == name).map(AttributeForm::of);
                }
                state.definitions = definitions;
                if let Some(view) = &mut self.state.view {
                    view.sellers = sellers;
                    view.teams = teams;
                }
            }
            Err(error) => self.notify(NoticeLevel::Error, format!("Reading sellers: {error}")),
        }
    }

    fn select_sellers(&mut self, ids: Vec<SellerId>, anchor: Option<SellerId>) {
        let selected: BTreeSet<SellerId> = ids.into_iter().collect();
        if selected == self.state.sellers.selected {
            self.state.sellers.anchor = anchor;
            return;
        }
        if self.refuse_if_unsaved() {
            return;
        }
        let single = (selected.len() == 1).then(|| selected.iter().next().copied()).flatten();
        let seller = single.and_then(|id| self.state.view.as_ref().and_then(|v| v.seller(id)));
        let sellers = &mut self.state.sellers;
        sellers.editor = seller.map(|s| Box::new(SellerEditor::of(s)));
        if selected.len() > 1 && sellers.selected.len() <= 1 {
            sellers.bulk = BulkForm::default();
        }
        sellers.selected = selected;
        sellers.anchor = anchor;
    }

    fn save_seller(&mut self) {
        let Some(editor) = self.state.sellers.editor.as_deref() else { return };
        let seller = match editor.to_seller() {
            Ok(seller) => seller,
            Err(problems) => {
                if let Some(editor) = &mut self.state.sellers.editor {
                    editor.error = Some(problems.join("\n"));
                }
                return;
            }
        };
        let Some(workspace) = &mut self.workspace else { return };
        let adding = editor.original.is_none();
        let result = if adding {
            workspace.add_seller(&seller).map(Some)
        } else {
            workspace.update_seller(&seller).map(|()| None)
        };
        match result {
            Ok(new_id) => {
                self.load_people();
                let id = new_id.unwrap_or(seller.id);
                let stored = self.state.view.as_ref().and_then(|v| v.seller(id)).cloned();
                let sellers = &mut self.state.sellers;
                sellers.editor = stored.as_ref().map(|s| Box::new(SellerEditor::of(s)));
                sellers.selected = BTreeSet::from([id]);
                sellers.anchor = Some(id);
                let verb = if adding { "added" } else { "saved" };
                self.notify(NoticeLevel::Info, format!("Seller {} {verb}", seller.name));
            }
            Err(error) => {
                if let Some(editor) = &mut self.state.sellers.editor {
                    editor.error = Some(error.to_string());
                }
            }
        }
    }

    fn ask_delete_seller(&mut self, id: SellerId) {
        let Some(workspace) = &self.workspace else { return };
        let name = self.state.view.as_ref().and_then(|v| v.seller(id)).map(|s| s.name.clone()).unwrap_or_default();
        match workspace.seller_usage(id) {
            Ok(usage) => self.state.sellers.confirm = Some(SellersConfirm::DeleteSeller { id, name, usage }),
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }

    fn delete_seller(&mut self, id: SellerId) {
        self.state.sellers.confirm = None;
        let Some(workspace) = &mut self.workspace else { return };
        let name = self.state.view.as_ref().and_then(|v| v.seller(id)).map(|s| s.name.clone()).unwrap_or_default();
        match workspace.delete_seller(id) {
            Ok(usage) => {
                self.state.sellers.selected.remove(&id);
                if self.state.sellers.editor.as_ref().is_some_and(|e| e.id() == Some(id)) {
                    self.state.sellers.editor = None;
                }
                self.load_people();
                if usage.owned_records > 0 {
                    self.owners_cleared();
                }
                self.notify(NoticeLevel::Info, format!("Seller {name} deleted"));
            }
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }

    /// Records lost their owner (a seller was deleted): the record pages, the engine's
    /// snapshot and the unassigned counts are read again.
    fn owners_cleared(&mut self) {
        self.forget_record_rows();
        if let Some(path) = self.state.view.as_ref().map(|v| v.path.clone()) {
            self.engine_worker = Some(EngineWorker::start(path, self.waker()));
            self.state.engine = EngineStatus::Loading { fraction: None, message: "Loading records".into() };
        }
        if let (Some(workspace), Some(view)) = (&self.workspace, &mut self.state.view) {
            let counts: Result<Vec<_>, _> =
                view.schema.types.iter().map(|def| workspace.unassigned_counts(&def.name)).collect();
            // Unreadable counts stay as they were; the records are read again either way.
            if let Ok(counts) = counts {
                view.unassigned_counts = counts.into_iter().flatten().collect();
            }
        }
        self.refresh_records();
    }

    fn apply_bulk(&mut self) {
        let ids: Vec<SellerId> = self.state.sellers.selected.iter().copied().collect();
        let change = match self.state.sellers.bulk.to_change() {
            Ok(change) => change,
            Err(problem) => {
                self.state.sellers.bulk.error = Some(problem);
                return;
            }
        };
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.update_sellers(&ids, &change) {
            Ok(count) => {
                self.state.sellers.bulk = BulkForm::default();
                self.load_people();
                self.notify(NoticeLevel::Info, format!("{count} sellers changed"));
            }
            Err(error) => self.state.sellers.bulk.error = Some(error.to_string()),
        }
    }

    fn save_team(&mut self) {
        let Some(form) = &self.state.sellers.team else { return };
        let team = Team {
            id: form.original.as_ref().map_or(TeamId(0), |t| t.id),
            name: form.name.trim().to_owned(),
            members: form.members.clone(),
        };
        let Some(workspace) = &mut self.workspace else { return };
        let result = match &form.original {
            None => workspace.insert_team(&team),
            Some(_) => workspace.update_team(&team).map(|()| team.id),
        };
        match result {
            Ok(id) => {
                self.load_people();
                let stored = self.state.view.as_ref().and_then(|v| v.teams.iter().find(|t| t.id == id));
                self.state.sellers.team = stored.map(TeamForm::of);
                self.notify(NoticeLevel::Info, format!("Team {} saved", team.name));
            }
            Err(error) => {
                if let Some(form) = &mut self.state.sellers.team {
                    form.error = Some(error.to_string());
                }
            }
        }
    }

    fn delete_team(&mut self, id: TeamId) {
        self.state.sellers.confirm = None;
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.delete_team(id) {
            Ok(()) => {
                if self.state.sellers.team.as_ref().and_then(|f| f.original.as_ref()).is_some_and(|t| t.id == id) {
                    self.state.sellers.team = None;
                }
                self.load_people();
                self.notify(NoticeLevel::Info, "Team deleted");
            }
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }

    fn save_attribute(&mut self) {
        let Some(form) = &self.state.sellers.attribute else { return };
        let definition = AttributeDefinition { name: form.name.trim().to_owned(), values: form.values.clone() };
        let Some(workspace) = &mut self.workspace else { return };
        let result = match &form.original {
            None => workspace.insert_attribute_definition(&definition),
            Some(old) => workspace.update_attribute_definition(&old.name, &definition),
        };
        match result {
            Ok(()) => {
                if let Some(form) = &mut self.state.sellers.attribute {
                    form.original = Some(definition.clone());
                }
                self.load_people();
                self.state.sellers.attribute =
                    self.state.sellers.definitions.iter().find(|d| d.name == definition.name).map(AttributeForm::of);
                // Sellers' values may have been renamed or taken out.
                if let Some(editor) = &self.state.sellers.editor
                    && let Some(id) = editor.id()
                    && let Some(seller) = self.state.view.as_ref().and_then(|v| v.seller(id))
                {
                    self.state.sellers.editor = Some(Box::new(SellerEditor::of(seller)));
                }
                self.notify(NoticeLevel::Info, format!("Attribute {} saved", definition.name));
            }
            Err(error) => {
                if let Some(form) = &mut self.state.sellers.attribute {
                    form.error = Some(error.to_string());
                }
            }
        }
    }

    fn delete_attribute(&mut self, name: &str) {
        self.state.sellers.confirm = None;
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.delete_attribute_definition(name) {
            Ok(()) => {
                if self
                    .state
                    .sellers
                    .attribute
                    .as_ref()
                    .and_then(|f| f.original.as_ref())
                    .is_some_and(|d| d.name == name)
                {
                    self.state.sellers.attribute = None;
                }
                self.load_people();
                if let Some(editor) = &self.state.sellers.editor
                    && let Some(id) = editor.id()
                    && let Some(seller) = self.state.view.as_ref().and_then(|v| v.seller(id))
                {
                    self.state.sellers.editor = Some(Box::new(SellerEditor::of(seller)));
                }
                self.notify(NoticeLevel::Info, format!("Attribute {name} deleted"));
            }
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }
}
