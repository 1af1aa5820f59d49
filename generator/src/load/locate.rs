//! Where each node of a YAML file starts, by path, so that errors found after deserialisation
//! (a duplicate event, a bad url template) still point at a line and column.
//!
//! serde_yaml reports places only for its own errors; its values carry none. So the same text is
//! read a second time with yaml-rust2's event parser, which gives a marker per node, and each
//! marker is stored under the node's path (`events/pos.order.created/aliases/0`).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A node's path: mapping keys and sequence indexes, joined by `/`.
pub type NodePath = String;

/// Line and column (both from 1) of every node of one file.
#[derive(Debug, Default)]
pub struct Positions {
    nodes: HashMap<NodePath, (usize, usize)>,
}

impl Positions {
    /// Reads the positions of `source`. Text that does not parse gives what was read before the error,
    /// which is fine: a syntax error is reported by serde_yaml with its own place.
    pub fn of(source: &str) -> Self {
        let mut recorder = Recorder::default();
        let mut parser = Parser::new_from_str(source);
        let _ = parser.load(&mut recorder, false);
        Positions { nodes: recorder.nodes }
    }

    /// The line and column of the node at `path`, if it exists.
    pub fn get(&self, path: &str) -> Option<(usize, usize)> {
        self.nodes.get(path).copied()
    }
}

enum Frame {
    /// `seen` counts keys, so a repeated key gets its own path (`key#2`) and both places are known.
    Map {
        key: Option<String>,
        seen: HashMap<String, usize>,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Recorder {
    stack: Vec<Frame>,
    path: Vec<String>,
    nodes: HashMap<NodePath, (usize, usize)>,
}

impl Recorder {
    /// Called when a node starts; decides its path segment from the enclosing container.
    fn enter_node(&mut self, mark: Marker) -> bool {
        let segment = match self.stack.last_mut() {
            None => None,
            Some(Frame::Seq { index }) => {
                let s = index.to_string();
                *index += 1;
                Some(s)
            }
            Some(Frame::Map { key, .. }) => key.take(),
        };
        let pushed = segment.is_some();
        if let Some(s) = segment {
            self.path.push(s);
        }
        // yaml-rust2 counts lines from 1 and columns from 0.
        self.nodes.entry(self.path.join("/")).or_insert((mark.line(), mark.col() + 1));
        pushed
    }

    fn leave_scalar(&mut self, pushed: bool) {
        if pushed {
            self.path.pop();
        }
    }
}

impl MarkedEventReceiver for Recorder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                // A scalar in key position of a mapping names the next value; record the key's own place
                // under the value's path so that an entry written as `pos.order.created:` with no value
                // still has a location.
                if let Some(Frame::Map { key, seen }) = self.stack.last_mut() {
                    if key.is_none() {
                        let n = seen.entry(value.clone()).or_insert(0);
                        *n += 1;
                        let segment = if *n == 1 { value } else { format!("{value}#{n}") };
                        let mut p = self.path.clone();
                        p.push(segment.clone());
                        self.nodes.entry(p.join("/")).or_insert((mark.line(), mark.col() + 1));
                        *key = Some(segment);
                        return;
                    }
                }
                let pushed = self.enter_node(mark);
                self.leave_scalar(pushed);
            }
            Event::Alias(_) => {
                let pushed = self.enter_node(mark);
                self.leave_scalar(pushed);
            }
            Event::SequenceStart(..) => {
                self.enter_node(mark);
                self.stack.push(Frame::Seq { index: 0 });
            }
            Event::MappingStart(..) => {
                self.enter_node(mark);
                self.stack.push(Frame::Map { key: None, seen: HashMap::new() });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
                // The root container has no segment; every other container pushed one.
                if !self.stack.is_empty() {
                    self.path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_values_and_sequence_items() {
        let src = "api: pos\nevents:\n  pos.order.created:\n  pos.order.updated: { aliases: [a.b.c, d.e.f] }\n";
        let p = Positions::of(src);
        assert_eq!(p.get("api"), Some((1, 1)));
        assert_eq!(p.get("events/pos.order.created"), Some((3, 3)));
        assert_eq!(p.get("events/pos.order.updated"), Some((4, 3)));
        // `d.e.f` starts at column 41: two spaces, 17 for the key, then `: { aliases: [a.b.c, `.
        assert_eq!(p.get("events/pos.order.updated/aliases/1"), Some((4, 41)));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn repeated_keys_get_numbered_paths() {
        let p = Positions::of("events:\n  a.b.c:\n  x.y.z:\n  a.b.c: { status: upcoming }\n");
        assert_eq!(p.get("events/a.b.c"), Some((2, 3)));
        assert_eq!(p.get("events/a.b.c#2"), Some((4, 3)));
        // A key names its value: `status` starts at column 12.
        assert_eq!(p.get("events/a.b.c#2/status"), Some((4, 12)));
    }
}
