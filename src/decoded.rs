//! An input as decoded: its line of the report (kind, facts, anomalies, error) and its events.
//! Between the decoders that make it and the steps that read it (time placement, judging).

use crate::model::Event;
use crate::report::InputReport;

pub struct Decoded {
    pub input: InputReport,
    pub events: Vec<Event>,
}
