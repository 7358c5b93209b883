//! The Sellers & teams screen: sellers, attribute definitions and teams.
//!
//! Forms are edited as copies: the panel pushes the whole edited form back
//! (`EditSeller`, `EditTeam`, …) and Save hands what it describes to the store. Every
//! stored change reloads `view.sellers`, `view.teams` and the attribute definitions.
//!
//! Commands are handled by the pure [`apply`] in `state::sellers`; this file carries out the
//! [`SellersEffect`]s it returns.

pub use crate::state::sellers::*;

use std::collections::BTreeSet;

use super::App;
use super::features::Runner;
use crate::domain::{AttributeDefinition, Seller, SellerBulkChange, SellerId, Team, TeamId};
use crate::state::EngineStatus;
use crate::state::NoticeLevel;
use crate::worker::engine::EngineWorker;
use crate::worker::records::Request;

impl Runner<SellersEffect> for App {
    /// Carries out what the Sellers & teams screen asked for, and what follows from it.
    fn run(&mut self, effect: SellersEffect) {
        match effect {
            SellersEffect::LoadPeople => self.load_people(),
            SellersEffect::SaveSeller { seller, adding } => self.save_seller(&seller, adding),
            SellersEffect::AskDeleteSeller { id, name } => self.ask_delete_seller(id, name),
            SellersEffect::DeleteSeller { id, name } => self.delete_seller(id, &name),
            SellersEffect::UpdateSellers { ids, change } => self.update_sellers(&ids, &change),
            SellersEffect::SaveTeam { team, adding } => self.save_team(&team, adding),
            SellersEffect::DeleteTeam(id) => self.delete_team(id),
            SellersEffect::SaveAttribute { old_name, definition } => {
                self.save_attribute(old_name.as_deref(), &definition);
            }
            SellersEffect::DeleteAttribute(name) => self.delete_attribute(&name),
        }
    }
}

impl App {
    /// Reads sellers, teams and attribute definitions again after a change, keeping the
    /// selection and forms that still refer to something.
    pub(super) fn load_people(&mut self) {
        let Some(workspace) = &self.workspace else { return };
        let read = workspace
            .sellers()
            .and_then(|sellers| Ok((sellers, workspace.teams()?, workspace.attribute_definitions()?)));
        // The load chart's counts scan every assignment (a third of a second at a million
        // records): read in the background.
        self.generations.sellers_open += 1;
        let request = Request::OpenBySeller { generation: self.generations.sellers_open };
        if let Some(worker) = &self.records_worker {
            worker.send(request);
        }
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

    fn save_seller(&mut self, seller: &Seller, adding: bool) {
        let Some(workspace) = &mut self.workspace else { return };
        let result = if adding {
            workspace.add_seller(seller).map(Some)
        } else {
            workspace.update_seller(seller).map(|()| None)
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

    fn ask_delete_seller(&mut self, id: SellerId, name: String) {
        let Some(workspace) = &self.workspace else { return };
        match workspace.seller_usage(id) {
            Ok(usage) => self.state.sellers.confirm = Some(SellersConfirm::DeleteSeller { id, name, usage }),
            Err(error) => self.notify(NoticeLevel::Error, error.to_string()),
        }
    }

    fn delete_seller(&mut self, id: SellerId, name: &str) {
        let Some(workspace) = &mut self.workspace else { return };
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
        self.reread_unassigned_counts();
        self.refresh_records();
    }

    /// Reads every segment's unassigned count again, after owners changed outside the
    /// engine's answers; unreadable counts stay as they were.
    pub(super) fn reread_unassigned_counts(&mut self) {
        if let (Some(workspace), Some(view)) = (&self.workspace, &mut self.state.view) {
            let counts: Result<Vec<_>, _> =
                view.schema.types.iter().map(|def| workspace.unassigned_counts(&def.name)).collect();
            if let Ok(counts) = counts {
                view.unassigned_counts = counts.into_iter().flatten().collect();
            }
        }
    }

    fn update_sellers(&mut self, ids: &[SellerId], change: &SellerBulkChange) {
        let Some(workspace) = &mut self.workspace else { return };
        match workspace.update_sellers(ids, change) {
            Ok(count) => {
                self.state.sellers.bulk = BulkForm::default();
                self.load_people();
                self.notify(NoticeLevel::Info, format!("{count} sellers changed"));
            }
            Err(error) => self.state.sellers.bulk.error = Some(error.to_string()),
        }
    }

    fn save_team(&mut self, team: &Team, adding: bool) {
        let Some(workspace) = &mut self.workspace else { return };
        let result = if adding { workspace.insert_team(team) } else { workspace.update_team(team).map(|()| team.id) };
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

    fn save_attribute(&mut self, old_name: Option<&str>, definition: &AttributeDefinition) {
        let Some(workspace) = &mut self.workspace else { return };
        let result = match old_name {
            None => workspace.insert_attribute_definition(definition),
            Some(old) => workspace.update_attribute_definition(old, definition),
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

impl App {
    /// The open records per seller the records worker read for the load chart.
    pub(super) fn take_open_by_seller(
        &mut self,
        generation: u64,
        result: Result<std::collections::HashMap<crate::domain::SellerId, u64>, crate::worker::WorkerError>,
    ) {
        if generation != self.generations.sellers_open {
            return;
        }
        match result {
            Ok(open) => self.state.sellers.open = open,
            Err(error) => self.notify(NoticeLevel::Error, format!("Reading the sellers' open records: {error}")),
        }
    }
}
