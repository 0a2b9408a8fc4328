//! The layers of ARCHITECTURE.md §1, checked.
//!
//! Cargo already refuses a dependency cycle between crates and refuses a `use` of a crate that
//! is not a dependency. These tests add the two rules Cargo cannot know: a crate depends only
//! on crates of a lower layer (an upward edge that happens to close no cycle is still a back
//! edge), and the modules inside each crate form no cycle either.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every workspace crate and its layer: a crate may depend on crates of a strictly lower layer.
const LAYERS: &[(&str, u8)] = &[
    ("iso7816", 0),
    ("model", 1),
    ("biometrics", 2),
    ("synth", 2),
    ("quality", 3),
    ("lds", 3),
    ("cvc", 3),
    ("pki", 4),
    ("chip", 4),
    ("simulator", 5),
    ("devices", 6),
    ("station", 7),
    ("station-web", 8),
    ("bureau", 8),
    ("fuzzing", 9),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn layer(name: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| panic!("crate {name} is not in the LAYERS table of tests/layers.rs"))
}

/// The `permitkit-*` crates a manifest depends on (normal and build dependencies; dev
/// dependencies may reach up, as tests of a lower crate can use test helpers of a higher one).
fn workspace_deps(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let mut out = BTreeSet::new();
    let mut collect = |table: Option<&toml::Value>| {
        if let Some(t) = table.and_then(toml::Value::as_table) {
            for key in t.keys() {
                if let Some(name) = key.strip_prefix("permitkit-") {
                    out.insert(name.to_owned());
                }
            }
        }
    };
    collect(doc.get("dependencies"));
    collect(doc.get("build-dependencies"));
    if let Some(targets) = doc.get("target").and_then(toml::Value::as_table) {
        for t in targets.values() {
            collect(t.get("dependencies"));
        }
    }
    out
}

#[test]
fn every_crate_is_in_the_layer_table_and_depends_only_downwards() {
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let own = layer(&name);
        for dep in workspace_deps(&dir.join("Cargo.toml")) {
            assert!(
                layer(&dep) < own,
                "back edge: permitkit-{name} (layer {own}) depends on permitkit-{dep} (layer {})",
                layer(&dep)
            );
        }
        seen.insert(name);
    }
    let table: BTreeSet<String> = LAYERS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(seen, table, "LAYERS and crates/ disagree");
}

/// The top-level module of `crate::…` paths used in one source file.
fn crate_edges(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        // `use crate::{a::…, b}` groups name several modules.
        let names: Vec<&str> = if let Some(group) = after.strip_prefix('{') {
            let end = group.find("};").unwrap_or(group.len());
            group[..end]
                .split(',')
                .map(|item| item.trim().split("::").next().unwrap_or("").trim())
                .collect()
        } else {
            vec![
                after
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or(""),
            ]
        };
        for n in names {
            if !n.is_empty() && n.chars().next().is_some_and(char::is_lowercase) {
                out.insert(n.to_owned());
            }
        }
        rest = after;
    }
    out
}

/// Strips line comments so that doc links do not count as dependencies.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn modules_of(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap()
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = code_only(&std::fs::read_to_string(&path).unwrap());
            let edges = graph.entry(top.clone()).or_default();
            for to in crate_edges(&text) {
                if to != top {
                    edges.insert(to);
                }
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one, as the list of modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(1) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(node.to_owned(), 1);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if graph.contains_key(next)
                && let Some(c) = visit(next, graph, state, path)
            {
                return Some(c);
            }
        }
        path.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn modules_inside_each_crate_form_no_cycle() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .collect();
    dirs.push(root().join("src"));
    for src in dirs {
        let graph = modules_of(&src);
        if let Some(cycle) = find_cycle(&graph) {
            panic!("module cycle in {}: {}", src.display(), cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    graph.insert("c".to_owned(), BTreeSet::new());
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn crate_edges_reads_single_paths_and_groups() {
    let text = "use crate::{apdu::X, tlv};\nfn f() { crate::sm::g(); crate::Error::x }";
    let edges = crate_edges(text);
    assert_eq!(
        edges,
        BTreeSet::from(["apdu".into(), "tlv".into(), "sm".into()])
    );
}
