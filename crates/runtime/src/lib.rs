//! Runtime state machines.
