//! Ladders drawn after judging, for the sessions a report shows: each session judged again
//! from what made it (a capture's attempt, or log lines), this time drawing. Every session
//! is judged first without its ladder; a report written with [`Drawer`] then holds one batch
//! of ladders at a time instead of all of them (a busy 4 GiB capture's 1.6 million steps).

use super::attempt;
use super::connection::Connection;
use super::context::Ctx;
use super::discovery::Transaction;
use super::files::FileProblem;
use super::ladder::Drawing;
use super::log_session::log_session;
use super::split::Attempt;
use super::users::Who;
use crate::model::Tagged;
use crate::report::{Ladders, Session};
use std::borrow::Cow;
use std::net::IpAddr;

/// What a session was judged from.
pub(super) enum Made<'a, 't> {
    /// A capture's attempt, with the log lines that went with it.
    Attempt {
        client: IpAddr,
        attempt: &'a Attempt,
        hits: Vec<&'t Tagged>,
    },
    /// Log lines, and the certificate file problems given to it, alone.
    Lines {
        hits: Cow<'a, [&'t Tagged]>,
        problems: &'a [FileProblem],
        who: Cow<'a, Who>,
    },
}

/// Draws a session's ladder by judging it again from what made it.
pub(super) struct Drawer<'a, 't> {
    pub(super) ctx: &'a Ctx<'t>,
    pub(super) txs: &'a [Transaction<'t>],
    pub(super) conns: &'a [Connection<'t>],
    /// By session, in the report's order: session `id` was made from `made[id - 1]`.
    pub(super) made: Vec<Made<'a, 't>>,
}

impl Drawer<'_, '_> {
    fn judged_again(&self, id: usize, made: &Made<'_, '_>) -> Session {
        match made {
            Made::Attempt {
                client,
                attempt,
                hits,
            } => attempt::judge(
                self.ctx,
                id,
                *client,
                attempt,
                self.txs,
                self.conns,
                hits,
                Drawing::Draw,
            ),
            Made::Lines {
                hits,
                problems,
                who,
            } => log_session(self.ctx, id, hits, problems, who, Drawing::Draw),
        }
    }
}

/// Draws nothing: for a report that shows no ladder.
pub(super) struct NoLadders;

impl Ladders for NoLadders {
    fn draw(&self, _: &mut Session) {}
}

impl Ladders for Drawer<'_, '_> {
    fn draw(&self, session: &mut Session) {
        let Some(made) = session.id.checked_sub(1).and_then(|i| self.made.get(i)) else {
            return;
        };
        let again = self.judged_again(session.id, made);
        session.ladder = again.ladder;
        session.ladder_omitted = again.ladder_omitted;
        session.ladder_clock = again.ladder_clock;
    }
}
