//! App passwords for users with multi-factor authentication, at the edge.
//!
//! One functional core ([`domain`]) holds every rule; two thin shells wrap it: the Cloudflare Worker
//! (feature `worker`) and the npm bindings (feature `js`). See the README for the service and the
//! password format.

pub mod domain;

#[cfg(feature = "js")]
mod js;
#[cfg(feature = "worker")]
mod worker;
