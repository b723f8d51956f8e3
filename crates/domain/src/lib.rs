//! Pure business rules of salesos: no IO, no async, no SQL.
//!
//! Everything here is deterministic and property-tested, so the layers above can lean on it.

pub mod approvals;
pub mod credit;
pub mod credit_limit;
pub mod dating;
pub mod dealers;
pub mod error;
pub mod fulfilment;
pub mod ids;
pub mod money;
pub mod orders;
pub mod org;
pub mod people;
pub mod pricing;
pub mod receivables;
pub mod roles;
pub mod scope;
pub mod targets;
pub mod visits;

pub use error::{DomainError, FieldError};
pub use ids::{NodeId, PersonId};
pub use money::Money;
