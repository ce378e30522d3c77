//! Audit events in the Worker: one JSON line each on the console (what Workers Logs and Logpush
//! collect), and user events kept by the user's Durable Object for "Recent activity".
//!
//! Changes to a user's record are printed and kept by the user's object when it makes them (so an
//! event is printed only for a change that happened); logins are decided here, in the Worker, which
//! prints them and sends them to the object to keep. Tenant events (settings, API keys) are printed
//! only. The core ([`crate::domain::audit`]) says what a line holds; nothing secret can be in it.

use super::commands::{Command, Message};
use super::send_message;
use crate::domain::audit::Event;
use worker::{Context, Env};

/// Prints `event` about `user` (or the tenant) as one JSON line.
pub fn print(event: &Event, user: Option<&str>) {
    worker::console_log!("{}", event.line(user));
}

/// Prints a login event and has the user's object keep it (after the response).
pub fn login(env: &Env, ctx: &Context, user: &str, event: Event) {
    print(&event, Some(user));
    let message = Message {
        actor: event.actor.clone(),
        command: Command::RecordEvent {
            user: user.to_owned(),
            event,
        },
    };
    let env = env.clone();
    super::later(ctx, async move {
        if let Err(e) = send_message(&env, &message).await {
            worker::console_error!("audit event: {}", e.code);
        }
    });
}
