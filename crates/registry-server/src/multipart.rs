//! `multipart/form-data` reading, shared with the school server (crate `web`).

pub use web::multipart::*;
