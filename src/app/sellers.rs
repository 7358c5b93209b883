//! The Sellers & teams screen: sellers, attribute definitions and teams.

use super::App;

/// What the sellers panels show beyond the workspace view.
#[derive(Debug, Default)]
pub struct SellersState {}

#[derive(Clone, Debug, PartialEq)]
pub enum SellersCommand {}

impl App {
    pub(super) fn apply_sellers(&mut self, command: SellersCommand) {
        match command {}
    }
}
