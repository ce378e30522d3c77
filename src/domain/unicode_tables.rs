//! The compact Unicode tables of the name rules, generated at build time by `build.rs` from
//! unicode-normalization, unicode-properties and caseless (build-dependencies: their own tables are
//! not linked). Checked against the same crates for every code point by the tests of
//! [`super::unicode`].

include!(concat!(env!("OUT_DIR"), "/unicode_tables.rs"));
