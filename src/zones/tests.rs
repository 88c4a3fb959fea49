//! Integration-style tests of the zones module.
