//! Parameter values over frame numbers.
//!
//! A change carries the first frame it applies to; every processor holds
//! the same timeline, so a frame is rendered with the same values
//! whichever processor renders it.

use serde::{Deserialize, Serialize};
use tessera_fx::{Graph, ParamValue};

/// One change: parameter `param` takes `value` from frame `from` on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamChange {
    pub from: u64,
    pub param: usize,
    pub value: ParamValue,
}

/// Values of every parameter at any frame not before the last
/// [`ParamTimeline::prune`].
#[derive(Clone, Debug)]
pub struct ParamTimeline {
    /// Values in force before the first pending change.
    base: Vec<ParamValue>,
    /// Changes in order of `from` (ties: order of arrival).
    changes: Vec<ParamChange>,
}

/// Changes kept at most; older ones are folded into the base values.
const MAX_CHANGES: usize = 4096;

impl ParamTimeline {
    /// The graph's defaults.
    pub fn new(graph: &Graph) -> ParamTimeline {
        ParamTimeline {
            base: graph.default_params(),
            changes: Vec::new(),
        }
    }

    /// Records a change (ignored when `param` is out of range).
    pub fn push(&mut self, change: ParamChange) {
        if change.param >= self.base.len() {
            return;
        }
        let at = self.changes.partition_point(|c| c.from <= change.from);
        self.changes.insert(at, change);
        if self.changes.len() > MAX_CHANGES {
            let first = self.changes.remove(0);
            self.base[first.param] = first.value;
        }
    }

    /// Values in force at `frame`.
    pub fn at(&self, frame: u64) -> Vec<ParamValue> {
        let mut values = self.base.clone();
        for c in self.changes.iter().take_while(|c| c.from <= frame) {
            values[c.param] = c.value.clone();
        }
        values
    }

    /// Folds the changes that apply before `frame` into the base: frames
    /// before `frame` will not be asked for again.
    pub fn prune(&mut self, frame: u64) {
        let n = self.changes.partition_point(|c| c.from < frame);
        for c in self.changes.drain(..n) {
            self.base[c.param] = c.value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_fx::{ParamDecl, graph::NodeId};

    fn graph() -> Graph {
        Graph {
            inputs: vec!["a".into()],
            params: vec![ParamDecl {
                name: "mix".into(),
                default: ParamValue::Number(0.5),
                range: Some((0.0, 1.0)),
            }],
            nodes: vec![],
            output: NodeId(0),
        }
    }

    #[test]
    fn changes_apply_from_their_frame() {
        let mut t = ParamTimeline::new(&graph());
        let set = |from, v| ParamChange {
            from,
            param: 0,
            value: ParamValue::Number(v),
        };
        t.push(set(10, 0.7));
        t.push(set(5, 0.1));
        t.push(set(99, 0.0));
        t.push(ParamChange {
            from: 0,
            param: 3,
            value: ParamValue::Number(1.0),
        });
        assert_eq!(t.at(0), vec![ParamValue::Number(0.5)]);
        assert_eq!(t.at(5), vec![ParamValue::Number(0.1)]);
        assert_eq!(t.at(10), vec![ParamValue::Number(0.7)]);
        t.prune(11);
        assert_eq!(t.at(11), vec![ParamValue::Number(0.7)]);
        assert_eq!(t.at(99), vec![ParamValue::Number(0.0)]);
    }
}
