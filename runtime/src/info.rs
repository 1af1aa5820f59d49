//! What the catalog says about each event, as data tools can iterate.

/// Whether an event can be received today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Status {
    /// Documented and sent.
    Available,
    /// Documented by the vendor as coming soon.
    Upcoming,
    /// Still sent, but to be removed.
    Deprecated,
    /// Listed by the vendor (e.g. in an enum) but not documented anywhere.
    Undocumented,
}

impl Status {
    /// The catalog spelling: `available`, `upcoming`, `deprecated` or `undocumented`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Upcoming => "upcoming",
            Status::Deprecated => "deprecated",
            Status::Undocumented => "undocumented",
        }
    }
}

impl ::core::fmt::Display for Status {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a provider's event table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventInfo {
    /// The wire name, e.g. `pos.order.created`.
    pub event_type: &'static str,
    /// The api, e.g. `pos`.
    pub api: &'static str,
    /// The entity, e.g. `order`.
    pub entity: &'static str,
    /// The action, e.g. `created` or `token_refresh.failed`.
    pub action: &'static str,
    /// The entity url with `{id}` left to fill, when the event refers to an entity by url.
    pub url_template: Option<&'static str>,
    /// Availability.
    pub status: Status,
    /// One sentence describing when the event is sent.
    pub description: &'static str,
    /// Older wire names that parse to this event.
    pub aliases: &'static [&'static str],
}
