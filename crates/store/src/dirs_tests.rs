use super::*;

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    let permissions = fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::mode(&permissions) & 0o777
}

#[test]
fn creates_missing_parents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b/c");
    create_private_dir(&dir).unwrap();
    assert!(dir.is_dir());
    #[cfg(unix)]
    for d in [tmp.path().join("a"), tmp.path().join("a/b"), dir] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
}

#[cfg(unix)]
#[test]
fn a_private_dir_is_tightened_but_a_plain_one_is_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("loose");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    create_dir_with_mode(&dir, 0o700).unwrap();
    assert_eq!(mode(&dir), 0o755);
    create_private_dir(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
}

#[test]
fn an_existing_dir_is_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    create_dir_with_mode(tmp.path(), 0o755).unwrap();
    create_private_dir(tmp.path()).unwrap();
}

#[test]
fn a_file_in_the_way_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    assert!(create_private_dir(&file).is_err());
}
