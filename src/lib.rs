//! mradiag: why a Cisco Jabber sign-in through Expressway (MRA) failed, from what was captured.

pub mod align;
pub mod analyze;
pub mod capture;
pub mod certs;
pub mod decoded;
pub mod faults;
pub mod input;
pub mod intern;
pub mod limits;
pub mod logs;
pub mod model;
pub mod mra;
pub mod proto;
pub mod report;
pub mod scan;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod terminal;
pub mod text;
pub mod time;
