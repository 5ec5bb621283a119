//! Printing a compiled graph as text and as Graphviz DOT. (Placeholder.)

use crate::analysis::Analysis;
use crate::graph::Graph;

pub fn to_text(graph: &Graph, analysis: &Analysis) -> String {
    let _ = analysis;
    format!("{graph:?}")
}

pub fn to_dot(graph: &Graph, analysis: &Analysis) -> String {
    let _ = (graph, analysis);
    String::from("digraph effect {}\n")
}
