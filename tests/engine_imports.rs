//! The engine stays free of the UI and of SQLite: it is fed records and returns bitsets, so
//! it can run on worker threads and be tested without a window or a database.

use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn engine_imports_neither_egui_nor_rusqlite() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine"), &mut files);
    assert!(!files.is_empty(), "no engine sources found");
    for file in files {
        let source = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for crate_name in ["egui", "eframe", "rusqlite", "crate::store", "crate::ui", "crate::app"] {
                assert!(
                    !code.contains(&format!("{crate_name}::")) && !code.contains(&format!("use {crate_name}")),
                    "{}:{}: the engine must not use {crate_name}: {line}",
                    file.display(),
                    number + 1
                );
            }
        }
    }
}
