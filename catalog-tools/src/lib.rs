//! Tooling around a webhook catalog that is not part of generating a crate, and so lives apart
//! from the pipeline (`webhook-codegen`): both read the catalog through its IR.
//!
//! - [`catalog_diff`]: the catalog's changes since a git revision, each with its semver effect on
//!   the generated crate (`cargo xtask diff`). Runs git.
//! - [`drift`]: the catalog against a vendor's published OpenAPI specs, in Apideck's style, through
//!   a compact snapshot a repository can keep (`cargo xtask import`).

pub mod catalog_diff;
pub mod drift;
