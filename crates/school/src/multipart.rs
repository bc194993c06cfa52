//! `multipart/form-data` reading, shared with the registry server (crate `web`).

pub use web::multipart::*;
