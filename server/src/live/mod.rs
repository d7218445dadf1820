//! Live updates: the per-process hub fed by `LISTEN/NOTIFY` (`hub`), which also numbers
//! what was published; publishing is `app::live::publish`, in the publisher's transaction.

pub mod hub;
