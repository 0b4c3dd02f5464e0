//! The module graph of `server/src`, read from the source: which top-level module refers to
//! which (`crate::x` in `use` lines and inline paths, `crate::{x, y}` groups, `super::` paths
//! that climb to the crate root). It must have no cycle; the core (`core`, `db`, `config`,
//! `secrets`, `csv_util`) refers to no area; and no module refers to `web` (the HTTP layer) or
//! `demo` (demo data) — only `lib.rs` and `main.rs` put those together.
//!
//! `cargo test -p licensedesk --lib module_graph -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that every area may use and that use no area.
const CORE: &[&str] = &["core", "db", "config", "secrets", "csv_util"];
/// Modules that nothing in `server/src` may use (the composition root in `lib.rs`/`main.rs`
/// is not a module and is not checked).
const LEAVES: &[&str] = &["web", "demo"];
/// Files that are not part of the graph: the crate roots and this check.
const ROOTS: &[&str] = &["lib.rs", "main.rs", "module_graph.rs"];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source with comments, string literals and character literals blanked out, so that
/// only code is searched for paths.
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_char(prev(&b, i)) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < b.len() {
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (b.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('x', '\n', '\u{1f}'); a lifetime ('a) is left alone.
            i += 1;
            while i < b.len() && b[i] != '\'' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn prev(b: &[char], i: usize) -> Option<char> {
    i.checked_sub(1).map(|p| b[p])
}

fn ident_at(code: &str, at: usize) -> &str {
    let rest = code[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The first segment of each path in a `{a, b::c, d::{e, f}}` group starting at `at` (`{`).
fn group_heads(code: &str, at: usize) -> Vec<String> {
    let mut heads = vec![];
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in code[at..].char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                item_start = true;
                continue;
            }
            c if c.is_whitespace() => continue,
            _ => {}
        }
        if item_start && depth == 1 {
            let head = ident_at(code, at + i);
            if !head.is_empty() {
                heads.push(head.to_string());
            }
            item_start = false;
        }
    }
    heads
}

/// The path heads after `at`: one identifier, or the heads of a `{…}` group.
fn heads_after(code: &str, at: usize, out: &mut BTreeSet<String>) {
    let rest = &code[at..];
    if rest.trim_start().starts_with('{') {
        let brace = at + rest.find('{').unwrap_or(0);
        out.extend(group_heads(code, brace));
    } else {
        out.insert(ident_at(code, at).to_string());
    }
}

/// Whether the match at byte `at` continues an identifier (`$crate::`, `my_super::`).
fn inside_ident(code: &str, at: usize) -> bool {
    ident_char(code[..at].chars().next_back())
}

/// The top-level modules that `code` (of a file in module `path`) refers to.
fn references(code: &str, path: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if !inside_ident(code, at) {
            heads_after(code, at + "crate::".len(), &mut out);
        }
    }
    // `super::` climbing from this file's module to the crate root, e.g. `super::super::x`
    // in `a/b.rs`. (Inline `mod` blocks are not counted; a test module's `super::*` stays
    // inside its file's module either way.)
    for (at, _) in code.match_indices("super::") {
        if inside_ident(code, at) || code[..at].ends_with("super::") {
            continue;
        }
        let mut end = at;
        let mut levels = 0;
        while code[end..].starts_with("super::") {
            levels += 1;
            end += "super::".len();
        }
        if levels == path.len() {
            heads_after(code, end, &mut out);
        }
    }
    out.retain(|m| !m.is_empty() && m != "self" && m != "super");
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read server/src")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src`: `a/mod.rs` → [a], `a/b.rs` → [a, b], `x.rs` → [x].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file below src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The graph of `server/src`: every top-level module and the top-level modules it refers to.
fn graph_of(src: &Path) -> Graph {
    let mut files = vec![];
    rust_files(src, &mut files);
    let mut graph = Graph::new();
    let mut found = vec![];
    for file in files {
        let rel = file.strip_prefix(src).expect("file below src");
        if rel.components().count() == 1 && ROOTS.iter().any(|r| rel == Path::new(r)) {
            continue;
        }
        let path = module_path(src, &file);
        let code = code_only(&std::fs::read_to_string(&file).expect("read source"));
        graph.entry(path[0].clone()).or_default();
        found.push((path[0].clone(), references(&code, &path)));
    }
    for (module, refs) in found {
        let known: Vec<String> = refs
            .into_iter()
            .filter(|r| *r != module && graph.contains_key(r))
            .collect();
        graph.entry(module).or_default().extend(known);
    }
    graph
}

/// A cycle in `graph`, as the modules along it (the first one repeated at the end).
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        graph: &Graph,
        node: &str,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(graph, next, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(graph, node, &mut marks, &mut vec![])
        {
            return Some(c);
        }
    }
    None
}

/// Every broken rule, as readable lines.
fn problems(graph: &Graph) -> Vec<String> {
    let mut out = vec![];
    if let Some(cycle) = find_cycle(graph) {
        out.push(format!("import cycle: {}", cycle.join(" -> ")));
    }
    for (module, refs) in graph {
        for r in refs {
            if CORE.contains(&module.as_str()) && !CORE.contains(&r.as_str()) {
                out.push(format!("core module `{module}` refers to the area `{r}`"));
            }
            if LEAVES.contains(&r.as_str()) {
                out.push(format!(
                    "`{module}` refers to `{r}`, which only lib.rs/main.rs may use"
                ));
            }
        }
    }
    out
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, refs)| {
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            format!("{m} -> {}", refs.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn modules_form_no_cycle_and_the_core_imports_no_area() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph_of(&src);
    println!("{}", render(&graph));
    for module in [
        "admin",
        "billing",
        "core",
        "directory",
        "services",
        "store",
        "web",
    ] {
        assert!(
            graph.contains_key(module),
            "{module} not found:\n{}",
            render(&graph)
        );
    }
    // What the check must see for it to mean anything.
    assert!(
        graph["services"].contains("directory"),
        "{}",
        render(&graph)
    );
    assert!(graph["web"].contains("admin"), "{}", render(&graph));
    let problems = problems(&graph);
    assert!(
        problems.is_empty(),
        "{}\n\nmodule graph:\n{}",
        problems.join("\n"),
        render(&graph)
    );
}

#[test]
fn the_checker_reads_paths_and_finds_cycles() {
    let code = code_only(
        r##"
        use crate::{db::Tx, core::{audit, sql}, self};
        use crate::billing as b; // crate::store in a comment
        let s = "crate::web in a string"; let r = r#"crate::demo"#; let c = '"';
        fn f<'a>(x: &'a str) { crate::licenses::install(x); $crate::nothing(); }
        use super::super::admin::X;
        "##,
    );
    let refs = references(&code, &["directory".into(), "csv_io".into()]);
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    assert_eq!(refs, ["admin", "billing", "core", "db", "licenses"]);

    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("core", vec!["web"]),
        ("web", vec![]),
    ]
    .into_iter()
    .map(|(m, r)| (m.to_string(), r.into_iter().map(String::from).collect()))
    .collect();
    let found = problems(&graph);
    assert_eq!(found[0], "import cycle: a -> b -> c -> a");
    assert!(
        found
            .iter()
            .any(|p| p.contains("core module `core` refers to the area `web`"))
    );
    assert!(found.iter().any(|p| p.contains("`core` refers to `web`")));
}
