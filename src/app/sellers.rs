//! The Sellers & teams screen: sellers, attribute definitions and teams.
//!
//! Forms are edited as copies: the panel pushes the whole edited form back
//! (`EditSeller`, `EditTeam`, …) and Save hands what it describes to the store. Every
//! stored change reloads `view.sellers`, `view.teams` and the attribute definitions.

pub use crate::state::sellers::*;

use std::collections::BTreeSet;

use super::App;
use crate::domain::{AttributeDefinition, SellerId, Team, TeamId};
use crate::state::EngineStatus;
use crate::state::NoticeLevel;
use crate::worker::engine::EngineWorker;

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
                let zone = self.state.view.as_ref().map_or_else(|| "UTC".into(), |v| v.time_zone_name.clone());
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
