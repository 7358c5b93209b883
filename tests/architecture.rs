//! The import rules of ARCHITECTURE.md, enforced: each layer may only use what it is
//! allowed to, so the pure domain stays pure and only the store touches SQLite; and the
//! size limits that keep every file and function readable in one sitting.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else { return files };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Files under `src/<module>` (directory or single file) whose code mentions a forbidden name.
fn violations(module: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = rust_files(&root.join(module));
    let single = root.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    assert!(!files.is_empty(), "src/{module} has no Rust files");
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for name in forbidden {
                if code.contains(name) {
                    found.push(format!("{}:{}: uses {name}", file.display(), number + 1));
                }
            }
        }
    }
    found
}

#[test]
fn domain_is_pure() {
    let found = violations(
        "domain",
        &[
            "egui",
            "eframe",
            "rusqlite",
            "crate::store",
            "crate::engine",
            "crate::app",
            "crate::ui",
            "crate::worker",
            "std::thread",
            "std::fs",
            "std::net",
        ],
    );
    assert!(found.is_empty(), "the domain must stay pure:\n{}", found.join("\n"));
}

#[test]
fn only_the_store_touches_sqlite() {
    for module in ["domain", "engine", "app", "ui", "worker", "demo", "main", "interchange", "cli"] {
        let found = violations(module, &["rusqlite"]);
        assert!(found.is_empty(), "only src/store may use rusqlite:\n{}", found.join("\n"));
    }
}

#[test]
fn the_engine_does_not_draw() {
    let found = violations("engine", &["egui", "eframe", "crate::ui", "crate::app"]);
    assert!(found.is_empty(), "the engine must not depend on the UI:\n{}", found.join("\n"));
}

#[test]
fn panels_hold_no_connection_and_no_thread() {
    let found = violations("ui", &["crate::store::Workspace", "Workspace::", "std::thread", "crate::worker"]);
    assert!(found.is_empty(), "UI panels draw from AppState and emit commands:\n{}", found.join("\n"));
}

#[test]
fn the_store_knows_nothing_of_the_ui() {
    let found = violations("store", &["egui", "eframe", "crate::ui", "crate::app", "crate::worker"]);
    assert!(found.is_empty(), "the store must not depend on the UI:\n{}", found.join("\n"));
}

#[test]
fn file_formats_are_pure_conversion() {
    let found = violations(
        "interchange",
        &["egui", "eframe", "crate::ui", "crate::app", "crate::store", "std::fs", "std::thread"],
    );
    assert!(found.is_empty(), "interchange converts bytes; callers do the IO:\n{}", found.join("\n"));
}

#[test]
fn store_writes_nest() {
    // `unchecked_transaction` cannot run inside `Workspace::atomically`; `write_scope` can.
    let found: Vec<String> = violations("store", &["unchecked_transaction"]);
    assert!(found.is_empty(), "store writes open self.write_scope():\n{}", found.join("\n"));
}

#[test]
fn panels_draw_from_the_state_only() {
    let found = violations("ui", &["crate::app", "crate::store", "crate::worker", "crate::engine"]);
    assert!(
        found.is_empty(),
        "UI panels use crate::state (and domain) only, never the runner, the store or the workers:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_state_is_a_leaf() {
    let found = violations(
        "state",
        &[
            "crate::app",
            "crate::ui",
            "crate::store",
            "crate::worker",
            "crate::engine",
            "crate::demo",
            "crate::cli",
            "egui",
            "eframe",
            "rusqlite",
            "std::thread",
            "std::fs",
        ],
    );
    assert!(found.is_empty(), "src/state depends on domain and interchange only:\n{}", found.join("\n"));
}

/// Code without `//` comments (doc comments name other modules freely).
fn code_of(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The first path segments after `prefix` in `code`: `super::a::B` gives `a`,
/// `super::{a::B, C}` gives `a` and `C`.
fn segments_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| s.trim().split("::").next().unwrap_or_default().trim().to_owned();
    let mut found = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            found.extend(group.split(',').map(ident).filter(|s| !s.is_empty()));
        } else {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            found.push(rest[..end].to_owned());
        }
    }
    found
}

/// The modules of `src/app` (one per file; `mod.rs`, the runner every file extends, is the
/// root and not a node) and the siblings each names through `super::` or `crate::app::`.
/// A name `mod.rs` re-exports from a sibling (`pub use state::{NoticeLevel, …}`) counts as
/// naming that sibling.
fn app_module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut texts = BTreeMap::new();
    for file in rust_files(&dir) {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        texts.insert(stem, code_of(&fs::read_to_string(&file).unwrap_or_default()));
    }
    let root = texts.remove("mod").unwrap_or_default();
    let mut exported_from: BTreeMap<String, String> = BTreeMap::new();
    for module in texts.keys() {
        for name in segments_after(&root, &format!("use {module}::")) {
            exported_from.insert(name, module.clone());
        }
    }
    let mut graph = BTreeMap::new();
    for (module, code) in &texts {
        let mut names = segments_after(code, "super::");
        names.extend(segments_after(code, "crate::app::"));
        let targets: BTreeSet<String> = names
            .into_iter()
            .filter_map(|name| if texts.contains_key(&name) { Some(name) } else { exported_from.get(&name).cloned() })
            .filter(|target| target != module)
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry((*from).to_owned()).or_default().insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])).map(|c| c.len()), Some(4));
    assert_eq!(
        segments_after("use super::{builder::X, App};\nsuper::rules::Y", "super::"),
        ["builder", "App", "rules"]
    );
}

#[test]
fn the_modules_of_app_form_no_cycle() {
    let graph = app_module_graph();
    assert!(graph.len() > 3, "src/app should have feature modules: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("src/app has an import cycle: {}\n(the graph: {graph:?})", cycle.join(" -> "));
    }
}

/// Every Rust file under `src/`.
fn all_sources() -> Vec<PathBuf> {
    let files = rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(files.len() > 50, "src/ should hold the project's Rust files, found {}", files.len());
    files
}

/// The rest of a line after `fn ` when it declares a function (any visibility, `const`).
fn declared_function(code: &str) -> Option<&str> {
    let mut rest = code;
    if let Some(after) = rest.strip_prefix("pub") {
        rest = match after.strip_prefix('(') {
            Some(scoped) => scoped.split_once(") ")?.1,
            None => after.strip_prefix(' ')?,
        };
    }
    rest = rest.strip_prefix("const ").unwrap_or(rest);
    rest.strip_prefix("fn ")
}

/// The functions of a rustfmt-formatted file as (first line, name, length in lines): from
/// the line that declares it to the first line that closes a block at its indentation.
fn function_lengths(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let Some(rest) = declared_function(code) else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        // A declaration without a body (in a trait) ends with `;` before any `{`.
        let close = format!("{indent}}}");
        let body_end = lines[start..].iter().position(|l| *l == close);
        let ends_early = lines[start..].iter().take_while(|l| !l.contains('{')).any(|l| l.trim_end().ends_with(';'));
        if let (Some(offset), false) = (body_end, ends_early) {
            found.push((start + 1, name, offset + 1));
        }
    }
    found
}

#[test]
fn function_lengths_are_measured_from_declaration_to_closing_brace() {
    let text = "fn a() {\n    let x = 1;\n}\n\nimpl B {\n    pub fn c(&self) -> u8 {\n        if true {\n        }\n        2\n    }\n    pub(in crate::x) fn d() {\n    }\n}\n\ntrait T {\n    fn e(&self);\n}\n";
    let lengths = function_lengths(text);
    let expected = vec![(1, "a".to_owned(), 3), (6, "c".to_owned(), 5), (11, "d".to_owned(), 2)];
    assert_eq!(lengths, expected);
}

#[test]
fn no_file_in_src_is_longer_than_800_lines() {
    let long: Vec<String> = all_sources()
        .iter()
        .filter_map(|file| {
            let count = fs::read_to_string(file).unwrap_or_default().lines().count();
            (count > 800).then(|| format!("{}: {count} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by responsibility (800 lines at most):\n{}", long.join("\n"));
}

#[test]
fn no_function_in_src_is_longer_than_120_lines() {
    let mut long = Vec::new();
    for file in all_sources() {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (line, name, count) in function_lengths(&text) {
            if count > 120 {
                long.push(format!("{}:{line}: {name} is {count} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these functions (120 lines at most):\n{}", long.join("\n"));
}
