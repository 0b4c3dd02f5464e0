//! The SQLite and PostgreSQL migrations must stay in lockstep: same versions, same names.

use std::path::Path;

fn names(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_migrations_are_in_lockstep() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for name in &sqlite {
        let (version, rest) = name.split_once('_').expect("<version>_<name>.sql");
        assert!(version.chars().all(|c| c.is_ascii_digit()), "{name}");
        assert!(rest.ends_with(".sql"), "{name}");
    }
}
