//! mradiag: why a Cisco Jabber sign-in through Expressway (MRA) failed, from what was captured.

pub mod capture;
pub mod model;
pub mod proto;
pub mod time;
