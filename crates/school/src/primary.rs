//! Primary classes (TT27): the stored rows of a pupil's year as the record's input
//! ([`primary_record_input`], used by [`crate::records::build_record`]), what is still
//! missing (in the summary's Vietnamese wording), the subject teacher's "Nhập đánh giá"
//! grid and the homeroom teacher's qualities, competences and "Học sinh Tiêu biểu" page.
//!
//! Invariant: every computed value (overall result, title) comes from the rule engine
//! (`domain::tt27::evaluate`), never from the page or the database.

mod grid;
mod homeroom;
mod input;

use axum::Router;
use axum::routing::get;

pub use grid::TEST_INVALID;
pub(crate) use homeroom::render_summary;
pub use input::{primary_gaps, primary_record_input};

use crate::AppState;

/// The routes of the primary pages: "Nhập đánh giá" (subject teachers) and the
/// homeroom teacher's qualities and competences.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assessments/{class}/{subject}",
            get(grid::sheet).post(grid::save),
        )
        .route(
            "/classes/{class}/tt27",
            get(homeroom::ratings).post(homeroom::save_ratings),
        )
}
