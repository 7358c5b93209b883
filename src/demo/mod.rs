//! TEMPORARY stand-in until the generator lands.
mod write;
pub use write::create_demo_workspace;
pub struct DemoSpec;
impl DemoSpec {
    pub fn standard(_now: jiff::Timestamp) -> Self {
        DemoSpec
    }
    pub fn with_leads(_n: u64, _seed: u64, _now: jiff::Timestamp) -> Self {
        DemoSpec
    }
}
