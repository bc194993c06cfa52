#![doc = include_str!("../README.md")]

mod check;
mod receipt;

pub use check::{
    Accepted, ApprovedSeals, Rejection, SealApprovals, Signer, check_parsed, check_record, layout,
    parse,
};
pub use receipt::{Receipt, ReceiptError, RegistryKey, verify_receipt};
