//! Pure business rules of salesos: no IO, no async, no SQL.
//!
//! Everything here is deterministic and property-tested, so the layers above can lean on it.

pub mod dating;
pub mod error;
pub mod ids;
pub mod money;
pub mod org;
pub mod people;
pub mod roles;
pub mod scope;

pub use error::{DomainError, FieldError};
pub use ids::{NodeId, PersonId};
pub use money::Money;
