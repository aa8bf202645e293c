//! callqa: offline quality-assurance scoring of Mandarin customer-service calls.
//!
//! The library is a chain of stages, one module each; `src/main.rs` is a thin
//! command-line front end over it.

pub mod transcript;
pub mod asr;
pub mod audio;
pub mod models;
