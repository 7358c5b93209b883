//! The import rules of ARCHITECTURE.md, enforced: each layer may only use what it is
//! allowed to, so the pure domain stays pure and only the store touches SQLite.

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
