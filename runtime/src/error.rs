//! Why a body could not be parsed.

/// A body that is not a well-formed event of a known shape. An *unknown* event type is not an
/// error (it parses to `Event::Unknown`); a *known* type whose payload does not match its
/// documented shape is, and names the JSON path of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not JSON, or not a JSON object.
    Json {
        /// What serde_json reported, with line and column.
        message: ::std::string::String,
    },
    /// The body has no envelope key (e.g. `payload`).
    MissingEnvelope {
        /// The key that was expected.
        key: &'static str,
    },
    /// The event has no event type field, or it is not a string.
    MissingEventType {
        /// The field that was expected.
        field: &'static str,
    },
    /// The body does not name its event, and nothing else said which it is (for a provider whose
    /// endpoints are subscribed to one event each: tell its verifier which).
    EventTypeNotGiven,
    /// The payload of a known event type does not match its shape.
    Payload {
        /// The event type.
        event_type: ::std::string::String,
        /// Where in the payload, e.g. `entity.enabled`.
        path: ::std::string::String,
        /// What is wrong there.
        message: ::std::string::String,
    },
}

impl ::core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            ParseError::Json { message } => write!(f, "the body is not a JSON object: {message}"),
            ParseError::MissingEnvelope { key } => write!(f, "the body has no `{key}` object"),
            ParseError::MissingEventType { field } => write!(f, "the event has no string `{field}`"),
            ParseError::EventTypeNotGiven => {
                f.write_str("the body does not name its event and the receiver was not told which event the endpoint is subscribed to")
            }
            ParseError::Payload { event_type, path, message } => {
                write!(f, "malformed `{event_type}` payload at `{path}`: {message}")
            }
        }
    }
}

impl ::std::error::Error for ParseError {}

/// An event code the provider does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEventCode {
    /// What was given.
    pub given: ::std::string::String,
    /// The closest valid code, if one is close.
    pub nearest: Option<&'static str>,
    /// Every valid code.
    pub valid: &'static [&'static str],
}

impl ::core::fmt::Display for UnknownEventCode {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        write!(f, "unknown event code `{}`", self.given)?;
        match self.nearest {
            Some(n) => write!(f, "; did you mean `{n}`?"),
            None => write!(f, "; valid codes: {}", self.valid.join(", ")),
        }
    }
}

impl ::std::error::Error for UnknownEventCode {}
