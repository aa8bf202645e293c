//! Moved: the run database (schema, migrations, reads and writes) is
//! [`crate::store`]. Only the hashing helpers `pipeline::recording` names by
//! this path are re-exported here, until it names `crate::store` itself.

pub use crate::store::{sha256_file, sha256_lines};
