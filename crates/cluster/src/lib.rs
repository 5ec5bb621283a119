//! The cluster fabric: the roles of an effects session (server,
//! processors, reconstructor) talking only over Eclipse Zenoh. The
//! embedded default runs them as threads on one in-process session with
//! no network endpoints ([`Engine`]); the same roles and keys
//! ([`fabric::Keys`]) run as separate processes when the session's
//! configuration names endpoints.

pub mod fabric;
pub mod roles;
pub mod server;

pub use server::{ControlHandle, Engine, EngineConfig, Finished, Summary, carriable_jpeg};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("zenoh fabric: {0}")]
    Fabric(String),
    #[error("input: {0}")]
    Input(String),
    #[error("{0}")]
    Param(String),
    #[error(transparent)]
    Fx(#[from] tessera_fx::FxError),
    #[error(transparent)]
    Sc(#[from] tessera_sc::ScError),
}
