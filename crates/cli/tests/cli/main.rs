//! The `hocba` binary's integration tests, one test binary (STYLE.md): each module
//! drives the built command as a user would.

mod architecture;
mod audit;
mod bench;
mod demo_seed;
mod fault;
mod pdf;
mod primary_export;
mod registry_ops;
mod registry_supervisor;
mod rules_eval;
mod sign_verify;
mod support;
